package config

import "time"

// Webhooks configures outgoing webhooks (internal/webhooks).
type Webhooks struct {
	// AllowPrivate lets endpoints use http and private, loopback or
	// link-local addresses, so a developer can receive webhooks on their
	// own machine. Production refuses it.
	AllowPrivate bool
	// RetryDelays, when set, replaces the retry schedule (about three
	// days by default): the wait before each retry of a failed delivery.
	RetryDelays []time.Duration
}

func (r *reader) webhooks(env string) Webhooks {
	w := Webhooks{AllowPrivate: r.boolean("HPA_WEBHOOKS_ALLOW_PRIVATE", false)}
	for _, s := range splitList(r.get("HPA_WEBHOOK_RETRY_DELAYS", "")) {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			r.fail("HPA_WEBHOOK_RETRY_DELAYS", "entry %q is not a positive duration such as 5s or 2h", s)
			continue
		}
		w.RetryDelays = append(w.RetryDelays, d)
	}
	if env == EnvProduction && w.AllowPrivate {
		r.fail("HPA_WEBHOOKS_ALLOW_PRIVATE", "must not be set in production: webhooks could then be sent into HPA's own network (and over plain http)")
	}
	return w
}
