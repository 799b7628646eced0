package visits

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"time"

	"github.com/harmedpatients/hpa/internal/store"
)

// GenerateOptions shape synthetic traffic.
type GenerateOptions struct {
	// Pageviews is how many page views to create, spread over Days days
	// ending today.
	Pageviews int
	Days      int
	// Hostname is the site the pages belong to.
	Hostname string
	// Seed makes the traffic reproducible.
	Seed uint64
}

// GenerateReport says what Generate created.
type GenerateReport struct {
	Pageviews, Events, Sessions int64
	Days                        int
	Rollup                      RollupReport
	Took                        time.Duration
}

// Generate loads realistic synthetic traffic with COPY and rolls it up, for
// benchmarks and demonstrations: Zipf-distributed pages, referrers,
// campaigns, devices, a daily and weekly rhythm and a few busy days (a
// webinar, some press). Progress goes to progress.
func (s *Service) Generate(ctx context.Context, opts GenerateOptions, progress io.Writer) (GenerateReport, error) {
	started := time.Now()
	if opts.Pageviews < 1 || opts.Days < 1 {
		return GenerateReport{}, fmt.Errorf("generate: --pageviews and --days must be positive")
	}
	if opts.Hostname == "" {
		opts.Hostname = "localhost"
	}
	g := newGenerator(opts, s.settings.TimeZone)
	today := s.today()
	first := today.AddDate(0, 0, -(opts.Days - 1))
	if err := s.EnsurePartitions(ctx, first.AddDate(0, 0, -1), monthsBetween(first.AddDate(0, 0, -1), today)+2); err != nil {
		return GenerateReport{}, err
	}
	weights := make([]float64, opts.Days)
	total := 0.0
	for i := range weights {
		weights[i] = g.dayWeight(first.AddDate(0, 0, i), i, opts.Days)
		total += weights[i]
	}
	report := GenerateReport{Days: opts.Days}
	batch := make([]store.VisitEventsCopyParams, 0, 50_000)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		if _, err := store.Q.VisitEventsCopy(ctx, s.pool, batch); err != nil {
			return fmt.Errorf("copy generated events: %w", err)
		}
		batch = batch[:0]
		return nil
	}
	days := make([]time.Time, 0, opts.Days)
	carry := 0.0
	now := s.now()
	for i := range opts.Days {
		day := first.AddDate(0, 0, i)
		days = append(days, pgDate(day))
		want := float64(opts.Pageviews)*weights[i]/total + carry
		target := int64(math.Floor(want))
		carry = want - float64(target)
		if i == opts.Days-1 {
			target = int64(opts.Pageviews) - report.Pageviews
		}
		var made int64
		for made < target {
			for _, ev := range g.session(day, target-made, now) {
				if ev.Name == pageviewName {
					made++
				}
				report.Events++
				batch = append(batch, ev)
			}
			report.Sessions++
			if len(batch) >= cap(batch)-64 {
				if err := flush(); err != nil {
					return report, err
				}
			}
		}
		report.Pageviews += made
		if progress != nil && (i+1)%30 == 0 {
			fmt.Fprintf(progress, "generated %d of %d days, %d page views\n", i+1, opts.Days, report.Pageviews)
		}
	}
	if err := flush(); err != nil {
		return report, err
	}
	if err := store.Q.VisitRollupMarkDirty(ctx, s.pool, days); err != nil {
		return report, fmt.Errorf("mark generated days: %w", err)
	}
	rollup, err := s.Rollup(ctx)
	if err != nil {
		return report, err
	}
	report.Rollup = rollup
	if err := store.Q.VisitAnalyze(ctx, s.pool); err != nil {
		return report, fmt.Errorf("analyze: %w", err)
	}
	report.Took = time.Since(started)
	return report, nil
}

func monthsBetween(a, b time.Time) int {
	return (b.Year()-a.Year())*12 + int(b.Month()) - int(a.Month()) + 1
}

// generator draws visitors and their sessions.
type generator struct {
	rng      *rand.Rand
	loc      *time.Location
	host     string
	pages    []string
	pageZipf *rand.Zipf
	busy     map[int]float64
}

func newGenerator(opts GenerateOptions, loc *time.Location) *generator {
	rng := rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15))
	g := &generator{rng: rng, loc: loc, host: opts.Hostname, busy: map[int]float64{}}
	g.pages = []string{"/", "/about", "/join", "/donate", "/news", "/resources", "/support", "/contact",
		"/research", "/events", "/stories", "/privacy", "/get-involved", "/webinars", "/press"}
	for i := 1; len(g.pages) < 400; i++ {
		g.pages = append(g.pages, fmt.Sprintf("/news/update-%d", i), fmt.Sprintf("/stories/story-%d", i),
			fmt.Sprintf("/resources/guide-%d", i))
	}
	g.pageZipf = rand.NewZipf(rng, 1.15, 2, uint64(len(g.pages)-1))
	// A handful of busy days: a webinar, press coverage, a newsletter.
	for range max(1, opts.Days/40) {
		g.busy[rng.IntN(opts.Days)] = 2 + 3*rng.Float64()
	}
	return g
}

// dayWeight is a day's share of traffic: quieter weekends, slow growth,
// busy days.
func (g *generator) dayWeight(day time.Time, i, days int) float64 {
	w := 1.0
	switch day.Weekday() {
	case time.Saturday:
		w = 0.65
	case time.Sunday:
		w = 0.7
	}
	w *= 0.8 + 0.4*float64(i)/float64(days)
	if b, ok := g.busy[i]; ok {
		w *= b
	}
	return w * (0.9 + 0.2*g.rng.Float64())
}

type weighted struct {
	value  string
	weight float64
}

func (g *generator) pick(options []weighted) string {
	total := 0.0
	for _, o := range options {
		total += o.weight
	}
	x := g.rng.Float64() * total
	for _, o := range options {
		if x -= o.weight; x < 0 {
			return o.value
		}
	}
	return options[len(options)-1].value
}

var (
	genReferrers = []weighted{{"", 40}, {"google.com/", 30}, {"facebook.com/", 8}, {"t.co/", 5}, {"linkedin.com/", 5},
		{"bing.com/", 3}, {"nhs.uk/conditions", 3}, {"bbc.co.uk/news/health", 2}, {"duckduckgo.com/", 2}, {"reddit.com/r/nhs", 1},
		{"patientsafetylearning.org/", 1}}
	genCampaigns = []weighted{{"newsletter|email|monthly-update", 5}, {"facebook|social|awareness-week", 2},
		{"partner-trust|referral|research-call", 1}, {"newsletter|email|webinar-invite", 2}}
	genCountries = []weighted{{"GB", 82}, {"IE", 4}, {"US", 5}, {"AU", 2}, {"CA", 2}, {"", 3}, {"DE", 1}, {"FR", 1}}
	genDevices   = []weighted{{"Desktop", 45}, {"Mobile", 48}, {"Tablet", 7}}
	genBrowsers  = map[string][]weighted{
		"Desktop": {{"Chrome", 55}, {"Edge", 18}, {"Safari", 12}, {"Firefox", 12}, {"Opera", 3}},
		"Mobile":  {{"Safari", 45}, {"Chrome", 45}, {"Samsung Browser", 8}, {"Firefox", 2}},
		"Tablet":  {{"Safari", 70}, {"Chrome", 30}},
	}
	genOS = map[string][]weighted{
		"Desktop": {{"Windows", 65}, {"macOS", 28}, {"Linux", 4}, {"ChromeOS", 3}},
		"Mobile":  {{"iOS", 50}, {"Android", 50}},
		"Tablet":  {{"iOS", 70}, {"Android", 30}},
	}
	genScreens = map[string]int32{"Desktop": 1440, "Mobile": 390, "Tablet": 820}
)

// session draws one visit on day with at most maxViews page views, all
// before now.
func (g *generator) session(day time.Time, maxViews int64, now time.Time) []store.VisitEventsCopyParams {
	// Hour of day: most visits in the working day, a few at night.
	hour := math.Mod(14+g.rng.NormFloat64()*4.5+24, 24)
	y, m, d := day.Date()
	midnight := time.Date(y, m, d, 0, 0, 0, 0, g.loc)
	start := midnight.Add(time.Duration(hour * float64(time.Hour)))
	if start.After(now) { // today: the visit happened earlier
		start = midnight.Add(time.Duration(g.rng.Float64() * float64(now.Sub(midnight))))
	}
	views := int64(1)
	if g.rng.Float64() > 0.55 { // 55% bounce
		views = 2 + int64(g.rng.ExpFloat64()*2.5)
	}
	views = min(views, maxViews)
	device := g.pick(genDevices)
	base := store.VisitEventsCopyParams{
		VisitorID: int64(g.rng.Uint64()), Hostname: g.host, Country: g.pick(genCountries), Device: device,
		Browser: g.pick(genBrowsers[device]), Os: g.pick(genOS[device]), ScreenWidth: genScreens[device],
	}
	base.Referrer = g.pick(genReferrers)
	if g.rng.Float64() < 0.12 {
		var parts [3]string
		c := g.pick(genCampaigns)
		for i := range 2 {
			n := 0
			for n < len(c) && c[n] != '|' {
				n++
			}
			parts[i], c = c[:n], c[n+1:]
		}
		parts[2] = c
		base.UtmSource, base.UtmMedium, base.UtmCampaign = parts[0], parts[1], parts[2]
		base.Referrer = ""
	}
	base.Source = generatedSource(base.Referrer, base.UtmSource)
	events := make([]store.VisitEventsCopyParams, 0, views+1)
	ts := start
	for i := range views {
		ev := base
		ev.Ts, ev.Name = ts.UTC().Truncate(time.Millisecond), pageviewName
		ev.Pathname = g.pages[g.pageZipf.Uint64()]
		if i == 0 && g.rng.Float64() < 0.3 {
			ev.Pathname = "/"
		}
		events = append(events, ev)
		ts = ts.Add(time.Duration(10+g.rng.ExpFloat64()*60) * time.Second)
	}
	if views > 1 {
		switch x := g.rng.Float64(); {
		case x < 0.04:
			ev := events[len(events)-1]
			ev.Name, ev.Ts = "donate-clicked", ts.UTC().Truncate(time.Millisecond)
			// A property, chosen without drawing from rng so the rest of
			// the traffic stays as it was.
			ev.Props = []byte(`{"amount":"` + [3]string{"10", "25", "50"}[len(events)%3] + `"}`)
			events = append(events, ev)
		case x < 0.10:
			ev := events[len(events)-1]
			ev.Name, ev.Ts = "signup-started", ts.UTC().Truncate(time.Millisecond)
			events = append(events, ev)
		}
	}
	// A visit still going on at now is moved back to have just ended.
	if late := events[len(events)-1].Ts.Sub(now); late > 0 {
		for i := range events {
			events[i].Ts = events[i].Ts.Add(-late - time.Second)
		}
	}
	return events
}

// generatedSource names the source of a generated referrer ("" for none).
func generatedSource(referrer, utmSource string) string {
	if referrer == "" {
		return referrerSource(nil, utmSource)
	}
	return referrerSource(mustURL("https://"+referrer), utmSource)
}
