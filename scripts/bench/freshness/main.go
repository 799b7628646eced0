// Command freshness measures how soon visit events show in the reports:
// it posts batches of 500 events to /v1/events/batch at a fixed rate
// (random visitors from a pool) while polling the day's summary, and
// prints the lag from each batch's acceptance to the first poll whose page
// views include it (counting acknowledged events in order, so a batch
// counts as shown once as many events as all batches up to it are). It
// goes on polling after the load until every accepted event shows.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

type accepted struct {
	at    time.Time
	total int64 // events acknowledged up to and including this batch
}

func main() {
	base := flag.String("url", "", "the API's base URL")
	token := flag.String("token", "", "an analyst's access token")
	rate := flag.Int("rate", 50_000, "events a second to send")
	duration := flag.Duration("duration", 30*time.Second, "how long to send")
	wait := flag.Duration("wait", 3*time.Minute, "longest wait after the load for every event to show")
	visitors := flag.Int("visitors", 500_000, "visitor pool")
	workers := flag.Int("workers", 16, "concurrent senders")
	label := flag.String("label", "run", "name printed with the results")
	flag.Parse()

	client := &http.Client{Timeout: 30 * time.Second}
	bodies := make([][]byte, 256)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range bodies {
		bodies[i] = batch(r, *visitors)
	}
	var (
		mu     sync.Mutex
		acks   []accepted
		total  atomic.Int64
		failed atomic.Int64
	)
	perSecond := *rate / 500
	tokens := make(chan int, perSecond)
	start := time.Now()
	go func() {
		tick := time.NewTicker(time.Second / time.Duration(perSecond))
		defer tick.Stop()
		for i := 0; time.Since(start) < *duration; i++ {
			<-tick.C
			select {
			case tokens <- i:
			default: // the senders are behind: the rate is not reached
			}
		}
		close(tokens)
	}()
	var senders sync.WaitGroup
	for range *workers {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for i := range tokens {
				resp, err := client.Post(*base+"/v1/events/batch", "application/json", bytes.NewReader(bodies[i%len(bodies)]))
				if err != nil || resp.StatusCode != http.StatusAccepted {
					failed.Add(1)
					if resp != nil {
						resp.Body.Close()
					}
					continue
				}
				resp.Body.Close()
				mu.Lock()
				acks = append(acks, accepted{at: time.Now(), total: total.Add(500)})
				mu.Unlock()
			}
		}()
	}
	type seen struct {
		at        time.Time
		pageviews int64
	}
	var polls []seen
	done := make(chan struct{})
	go func() { senders.Wait(); close(done) }()
	sent := false
	deadline := time.Time{}
	for {
		pv, err := pageviews(client, *base, *token)
		if err != nil {
			log.Fatal(err)
		}
		polls = append(polls, seen{at: time.Now(), pageviews: pv})
		if !sent {
			select {
			case <-done:
				sent, deadline = true, time.Now().Add(*wait)
			default:
			}
		}
		if sent && (pv >= total.Load() || time.Now().After(deadline)) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	elapsed := acks[len(acks)-1].at.Sub(start)
	var lags []time.Duration
	unseen := 0
	for _, a := range acks {
		i := slices.IndexFunc(polls, func(p seen) bool { return p.pageviews >= a.total && p.at.After(a.at) })
		if i < 0 {
			unseen++
			continue
		}
		lags = append(lags, polls[i].at.Sub(a.at))
	}
	slices.Sort(lags)
	pct := func(p float64) string {
		if len(lags) == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f s", lags[min(len(lags)-1, int(p*float64(len(lags))))].Seconds())
	}
	last := polls[len(polls)-1]
	fmt.Fprintf(os.Stdout, "%s: sent %d events in %.1f s (%.0f/s, target %d/s; %d batches failed); lag acceptance→summary p50 %s p99 %s max %s; %d batches never shown; all shown %.1f s after the last 202 (%d of %d)\n",
		*label, total.Load(), elapsed.Seconds(), float64(total.Load())/elapsed.Seconds(), *rate, failed.Load(),
		pct(0.5), pct(0.99), pct(1), unseen, last.at.Sub(acks[len(acks)-1].at).Seconds(), last.pageviews, total.Load())
}

// batch is 500 page views of random visitors from the pool (a visitor is
// an address and a User-Agent).
func batch(r *rand.Rand, pool int) []byte {
	type event struct {
		URL       string `json:"url"`
		IP        string `json:"ip"`
		UserAgent string `json:"user_agent"`
	}
	events := make([]event, 500)
	for i := range events {
		v := r.IntN(pool)
		events[i] = event{URL: fmt.Sprintf("https://www.example.org/page-%d", r.IntN(200)),
			IP:        fmt.Sprintf("10.%d.%d.%d", v/62500%250, v/250%250, v%250+1),
			UserAgent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"}
	}
	b, err := json.Marshal(map[string]any{"events": events})
	if err != nil {
		log.Fatal(err)
	}
	return b
}

// pageviews reads today's page views from the summary.
func pageviews(client *http.Client, base, token string) (int64, error) {
	req, err := http.NewRequest(http.MethodGet, base+"/v1/stats/summary?period=day", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var s struct{ Pageviews int64 }
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("summary: %s", resp.Status)
	}
	err = json.NewDecoder(resp.Body).Decode(&s)
	return s.Pageviews, err
}
