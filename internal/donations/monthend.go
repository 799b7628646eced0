package donations

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/audit"
	"github.com/harmedpatients/hpa/internal/giftaid"
	"github.com/harmedpatients/hpa/internal/hpa"
	"github.com/harmedpatients/hpa/internal/store"
)

// MonthTotal is what the ledger's entries dated in one UK month add up
// to, for one campaign or for all. Net is what donors' money left in
// HPA's account (gross less refunds, disputes and fees); Gift Aid, which
// HMRC pays, is apart.
type MonthTotal struct {
	Month, Campaign                                    string
	GrossPence, RefundsPence, DisputesPence, FeesPence int64
	NetPence, GiftAidPence, Gifts                      int64
}

// MonthEnd is the treasurer's month-end report: the month's totals by
// campaign and overall, derived from the entries dated in it, so a month
// once closed never changes.
type MonthEnd struct {
	Month      string
	From, To   time.Time
	ByCampaign []MonthTotal
	Total      MonthTotal
}

// ParseMonth reads a UK month (YYYY-MM) as [start, end).
func ParseMonth(month, field string) (time.Time, time.Time, error) {
	t, err := time.ParseInLocation("2006-01", month, London)
	if err != nil {
		return time.Time{}, time.Time{}, hpa.Invalid(field, "must be a month, YYYY-MM")
	}
	return t, t.AddDate(0, 1, 0), nil
}

// MonthEndReport totals the ledger's entries dated in month (YYYY-MM).
func (s *Service) MonthEndReport(ctx context.Context, month string) (*MonthEnd, error) {
	from, to, err := ParseMonth(month, "query.month")
	if err != nil {
		return nil, err
	}
	rows, err := store.Q.LedgerMonthEnd(ctx, s.db, store.LedgerMonthEndParams{FromTime: from, ToTime: to})
	if err != nil {
		return nil, fmt.Errorf("month-end report for %s: %w", month, err)
	}
	out := &MonthEnd{Month: month, From: from, To: to, ByCampaign: []MonthTotal{}, Total: MonthTotal{Month: month}}
	for _, r := range rows {
		t := MonthTotal{Month: month, Campaign: r.Campaign, GrossPence: r.GrossPence, RefundsPence: r.RefundsPence, DisputesPence: r.DisputesPence,
			FeesPence: r.FeesPence, GiftAidPence: r.GiftAidPence, Gifts: r.GiftCount}
		t.NetPence = t.GrossPence + t.RefundsPence + t.DisputesPence + t.FeesPence
		out.ByCampaign = append(out.ByCampaign, t)
		out.Total.GrossPence += t.GrossPence
		out.Total.RefundsPence += t.RefundsPence
		out.Total.DisputesPence += t.DisputesPence
		out.Total.FeesPence += t.FeesPence
		out.Total.NetPence += t.NetPence
		out.Total.GiftAidPence += t.GiftAidPence
		out.Total.Gifts += t.Gifts
	}
	return out, nil
}

// Entry is one movement of money in the ledger.
type Entry struct {
	ID             int64
	Kind           string
	AmountPence    int64
	DonationID     uuid.UUID
	GiftAidClaimID *uuid.UUID
	Campaign       string
	CampaignName   string
	Channel        string
	Method         string
	StripeChargeID string
	Reference      string
	OccurredAt     time.Time
	Source         string
	MovementKey    string
	CreatedAt      time.Time
}

// EntryFilter narrows a list of entries; From and To bound occurred_at.
type EntryFilter struct {
	From, To   time.Time
	Campaign   string
	Kind       string
	DonationID *uuid.UUID
	// After is the cursor: the last entry of the previous page.
	After *EntryCursor
	Limit int
}

// EntryCursor is a position in the ledger, oldest first.
type EntryCursor struct {
	At time.Time `json:"t"`
	ID int64     `json:"i"`
}

func (f EntryFilter) params() store.LedgerListParams {
	p := store.LedgerListParams{FromTime: f.From, ToTime: f.To, Campaign: store.NullText(f.Campaign), Kind: store.NullText(f.Kind),
		DonationID: f.DonationID, PageSize: int32(f.Limit)}
	if p.FromTime.IsZero() {
		p.FromTime = time.Unix(0, 0)
	}
	if p.ToTime.IsZero() {
		p.ToTime = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if f.After != nil {
		p.AfterTime, p.AfterID = &f.After.At, &f.After.ID
	}
	return p
}

// ListEntries returns ledger entries oldest first, audit-logged.
func (s *Service) ListEntries(ctx context.Context, f EntryFilter) ([]Entry, error) {
	rows, err := store.Q.LedgerList(ctx, s.reads, f.params())
	if err != nil {
		return nil, fmt.Errorf("list ledger entries: %w", err)
	}
	if err := audit.Record(ctx, s.db, audit.Event{Action: "ledger.list", TargetType: "ledger_entry", Details: map[string]any{"count": len(rows)}}); err != nil {
		return nil, err
	}
	out := make([]Entry, len(rows))
	for i, r := range rows {
		out[i] = Entry{ID: r.ID, Kind: r.Kind, AmountPence: r.AmountPence, DonationID: r.DonationID, GiftAidClaimID: r.GiftAidClaimID,
			Campaign: r.Campaign, CampaignName: r.CampaignName, Channel: r.Channel, Method: r.Method, StripeChargeID: store.Text(r.StripeChargeID),
			Reference: r.Reference, OccurredAt: r.OccurredAt, Source: r.Source, MovementKey: r.MovementKey, CreatedAt: r.CreatedAt}
	}
	return out, nil
}

// Accountant export layouts.
const (
	// LayoutXero is Xero's bank statement import: *Date (DD/MM/YYYY),
	// *Amount (signed), Payee, Description, Reference, Cheque Number.
	LayoutXero = "xero"
	// LayoutQuickBooks is QuickBooks Online's three-column bank
	// transactions upload: Date (DD/MM/YYYY), Description, Amount (signed).
	LayoutQuickBooks = "quickbooks"
)

var layoutHeaders = map[string][]string{
	LayoutXero:       {"*Date", "*Amount", "Payee", "Description", "Reference", "Cheque Number"},
	LayoutQuickBooks: {"Date", "Description", "Amount"},
}

var entryLabels = map[string]string{
	EntryGift: "Gift", EntryRefund: "Refund", EntryRefundReversed: "Refund reversed", EntryDispute: "Dispute",
	EntryDisputeReversal: "Dispute reversal", EntryFee: "Stripe fee", EntryDisputeFee: "Dispute fee",
	EntryGiftAidClaimed: "Gift Aid claimed", EntryGiftAidAdjusted: "Gift Aid adjusted",
}

// ExportEntries writes the ledger's entries matching f, oldest first, as
// CSV in an accountant's import layout, audit-logged, and returns how
// many rows. Each row is one movement, dated in UK time, its amount in
// pounds (money out negative), described by kind, campaign and gift.
func (s *Service) ExportEntries(ctx context.Context, f EntryFilter, layout string, w io.Writer) (int, error) {
	header, ok := layoutHeaders[layout]
	if !ok {
		return 0, hpa.Invalid("query.layout", "must be xero or quickbooks")
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return 0, err
	}
	f.Limit, f.After = 1000, nil
	count := 0
	for {
		rows, err := store.Q.LedgerList(ctx, s.reads, f.params())
		if err != nil {
			return 0, fmt.Errorf("export ledger entries: %w", err)
		}
		for _, r := range rows {
			date := r.OccurredAt.In(London).Format("02/01/2006")
			amount := giftaid.FormatPounds(r.AmountPence)
			desc := spreadsheetSafe(fmt.Sprintf("%s: %s (gift %s)", entryLabels[r.Kind], r.CampaignName, r.DonationID))
			var rec []string
			if layout == LayoutXero {
				rec = []string{date, amount, payee(r.Kind, r.Channel), desc, r.MovementKey, chequeNumber(r.Method, r.Reference)}
			} else {
				rec = []string{date, desc, amount}
			}
			if err := cw.Write(rec); err != nil {
				return 0, err
			}
		}
		count += len(rows)
		if len(rows) < f.Limit {
			break
		}
		last := rows[len(rows)-1]
		f.After = &EntryCursor{At: last.OccurredAt, ID: last.ID}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return 0, err
	}
	return count, audit.Record(ctx, s.db, audit.Event{Action: "ledger.export", TargetType: "ledger_entry", Details: map[string]any{"count": count, "layout": layout}})
}

// payee is who the money moved with, as an accountant books it: HMRC for
// Gift Aid, Stripe for online gifts, donors for the rest (no names: the
// export leaves donors' personal data out).
func payee(kind, channel string) string {
	switch {
	case kind == EntryGiftAidClaimed || kind == EntryGiftAidAdjusted:
		return "HMRC"
	case channel == "online":
		return "Stripe"
	}
	return "Donor"
}

// chequeNumber is the reference of a gift received by cheque.
func chequeNumber(method, reference string) string {
	if method != "cheque" {
		return ""
	}
	return spreadsheetSafe(reference)
}
