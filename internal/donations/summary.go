package donations

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"time"

	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/giftaid"
	"github.com/harmedpatients/hpa/internal/store"
)

// Summary is totals for a period by campaign, UK month and channel.
type Summary struct {
	From, To   time.Time
	ByCampaign []CampaignTotal
	ByMonth    []PeriodTotal
	ByChannel  []ChannelTotal
}

// PeriodTotal is one month's figures.
type PeriodTotal struct {
	Month string
	MoneyTotal
}

// ChannelTotal is one channel and frequency's figures.
type ChannelTotal struct {
	Channel, Frequency string
	MoneyTotal
}

// MoneyTotal is what moved: gifts, and refunds, disputes and fees as
// positive amounts, each net of its reversals.
type MoneyTotal struct {
	GrossPence, RefundedPence, DisputedPence, FeePence, Gifts int64
}

// Summarise totals the ledger's entries dated from..to: each movement of
// money counts when it happened, so a period's figures never change once
// it is over (a refund in December is December's).
func (s *Service) Summarise(ctx context.Context, from, to time.Time) (*Summary, error) {
	t, err := s.totals(ctx, from, to)
	if err != nil {
		return nil, err
	}
	months, err := store.Q.LedgerTotalsByMonth(ctx, s.db, store.LedgerTotalsByMonthParams{FromTime: from, ToTime: to})
	if err != nil {
		return nil, fmt.Errorf("total the ledger by month: %w", err)
	}
	channels, err := store.Q.LedgerTotalsByChannel(ctx, s.db, store.LedgerTotalsByChannelParams{FromTime: from, ToTime: to})
	if err != nil {
		return nil, fmt.Errorf("total the ledger by channel: %w", err)
	}
	out := &Summary{From: from, To: to, ByCampaign: t.Items}
	for _, m := range months {
		out.ByMonth = append(out.ByMonth, PeriodTotal{Month: m.Month, MoneyTotal: MoneyTotal{GrossPence: m.GrossPence, RefundedPence: m.RefundedPence,
			DisputedPence: m.DisputedPence, FeePence: m.FeePence, Gifts: m.GiftCount}})
	}
	for _, c := range channels {
		out.ByChannel = append(out.ByChannel, ChannelTotal{Channel: c.Channel, Frequency: c.Frequency, MoneyTotal: MoneyTotal{GrossPence: c.GrossPence,
			RefundedPence: c.RefundedPence, DisputedPence: c.DisputedPence, FeePence: c.FeePence, Gifts: c.GiftCount}})
	}
	return out, nil
}

// exportHeader is the donations CSV's column row.
var exportHeader = []string{"id", "paid_at", "campaign", "amount", "refunded", "fee", "currency", "channel", "method", "frequency",
	"status", "donor_id", "donor_name", "donor_email", "gift_aid_declaration_id", "gift_aid_claim_id", "stripe_payment_intent",
	"stripe_charge", "stripe_invoice", "reference"}

// ExportCSV writes every gift matching f (newest first) as CSV,
// audit-logged, and returns how many rows. Amounts are pounds with two
// decimals.
func (s *Service) ExportCSV(ctx context.Context, f Filter, w io.Writer) (int, error) {
	cw := csv.NewWriter(w)
	if err := cw.Write(exportHeader); err != nil {
		return 0, err
	}
	f.Limit = 1000
	count := 0
	for {
		rows, err := store.Q.DonationList(ctx, s.reads, f.params())
		if err != nil {
			return 0, fmt.Errorf("list donation: %w", err)
		}
		for _, r := range rows {
			d, err := s.donationFrom(r)
			if err != nil {
				return 0, err
			}
			fee, donor, decl, claim := "", "", "", ""
			if d.FeePence != nil {
				fee = giftaid.FormatPounds(*d.FeePence)
			}
			if d.DonorID != nil {
				donor = d.DonorID.String()
			}
			if d.GiftAidDeclarationID != nil {
				decl = d.GiftAidDeclarationID.String()
			}
			if d.GiftAidClaimID != nil {
				claim = d.GiftAidClaimID.String()
			}
			if err := cw.Write([]string{d.ID.String(), d.PaidAt.UTC().Format(time.RFC3339), d.Campaign, giftaid.FormatPounds(d.AmountPence),
				giftaid.FormatPounds(d.RefundedPence), fee, d.Currency, d.Channel, d.Method, d.Frequency, d.Status, donor,
				spreadsheetSafe(d.DonorName), spreadsheetSafe(d.DonorEmail), decl, claim, d.StripePaymentIntentID, d.StripeChargeID,
				d.StripeInvoiceID, spreadsheetSafe(d.Reference)}); err != nil {
				return 0, err
			}
		}
		count += len(rows)
		if len(rows) < f.Limit {
			break
		}
		last := rows[len(rows)-1]
		f.Before = &Cursor{At: last.PaidAt, ID: last.ID}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return 0, err
	}
	return count, audit.Record(ctx, s.db, audit.Event{Action: "donation.export", TargetType: "donation", Details: map[string]any{"count": count}})
}

// spreadsheetSafe keeps a cell from being read as a formula when the CSV
// is opened in a spreadsheet.
func spreadsheetSafe(v string) string {
	if v != "" && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' || v[0] == '\t' || v[0] == '\r') {
		return "'" + v
	}
	return v
}
