package config

import (
	"strings"
	"testing"
	"time"
)

func TestWebhookSettings(t *testing.T) {
	_, err := Load(env(with(goodProduction(), map[string]string{"HPA_WEBHOOKS_ALLOW_PRIVATE": "true"})))
	if err == nil || !strings.Contains(err.Error(), "HPA_WEBHOOKS_ALLOW_PRIVATE") {
		t.Errorf("production with webhooks to private addresses: %v", err)
	}
	c, err := Load(env(map[string]string{"HPA_WEBHOOKS_ALLOW_PRIVATE": "true", "HPA_WEBHOOK_RETRY_DELAYS": "5s, 2h"}))
	if err != nil || !c.Webhooks.AllowPrivate || len(c.Webhooks.RetryDelays) != 2 || c.Webhooks.RetryDelays[1] != 2*time.Hour {
		t.Errorf("development: %+v, %v", c.Webhooks, err)
	}
	if _, err := Load(env(map[string]string{"HPA_WEBHOOK_RETRY_DELAYS": "5s,soon"})); err == nil || !strings.Contains(err.Error(), "HPA_WEBHOOK_RETRY_DELAYS") {
		t.Errorf("a bad retry delay: %v", err)
	}
}
