package donations

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/harmedpatients/hpa/internal/store"
	"github.com/stripe/stripe-go/v82"
)

// Kinds of ledger entry. Amounts are signed pence as seen from HPA's
// account: money in is positive, money out negative.
const (
	EntryGift            = "gift"              // a gift received
	EntryRefund          = "refund"            // money given back to the donor
	EntryRefundReversed  = "refund_reversed"   // a refund that failed or was cancelled: the money stayed
	EntryDispute         = "dispute"           // funds a dispute took from HPA's balance
	EntryDisputeReversal = "dispute_reversal"  // funds reinstated (a dispute won)
	EntryFee             = "fee"               // Stripe's fee on a gift
	EntryDisputeFee      = "dispute_fee"       // Stripe's fee for a dispute (positive when returned)
	EntryGiftAidClaimed  = "gift_aid_claimed"  // Gift Aid claimed from HMRC on a gift
	EntryGiftAidAdjusted = "gift_aid_adjusted" // Gift Aid paid back through a claim's adjustment
)

// EntryKinds lists every kind of ledger entry.
var EntryKinds = []string{EntryGift, EntryRefund, EntryRefundReversed, EntryDispute, EntryDisputeReversal, EntryFee, EntryDisputeFee,
	EntryGiftAidClaimed, EntryGiftAidAdjusted}

// entry is one movement of money to write to the ledger. key names the
// movement, whichever event or action announces it: a second entry with
// the same key is never written.
type entry struct {
	kind     string
	amount   int64
	donation uuid.UUID
	at       time.Time
	source   string
	key      string
}

// writeEntry appends an entry in the caller's transaction; an entry with
// a zero amount moves no money and is not written.
func writeEntry(ctx context.Context, db store.DBTX, e entry) error {
	if e.amount == 0 {
		return nil
	}
	if _, err := store.Q.LedgerInsert(ctx, db, store.LedgerInsertParams{Kind: e.kind, AmountPence: e.amount, DonationID: e.donation,
		OccurredAt: e.at, Source: e.source, MovementKey: e.key}); err != nil {
		return fmt.Errorf("write %s entry %s: %w", e.kind, e.key, err)
	}
	return nil
}

// staffSource is the source of an entry a member of staff's action wrote.
func staffSource(by uuid.UUID) string { return "staff:" + by.String() }

// disputeEntries are the money movements a dispute's balance
// transactions record: funds withdrawn or reinstated, and the dispute
// fee. Each is keyed by its balance transaction, which every event of the
// dispute repeats, so it is written once whichever event brings it first.
func disputeEntries(donation uuid.UUID, d *stripe.Dispute, source string, eventAt time.Time) []entry {
	var out []entry
	for i, bt := range d.BalanceTransactions {
		if bt == nil {
			continue
		}
		id := bt.ID
		if id == "" {
			id = fmt.Sprintf("%s#%d", d.ID, i)
		}
		at := eventAt
		if bt.Created > 0 {
			at = time.Unix(bt.Created, 0)
		}
		kind := EntryDispute
		if bt.Amount > 0 {
			kind = EntryDisputeReversal
		}
		out = append(out, entry{kind: kind, amount: bt.Amount, donation: donation, at: at, source: source, key: "dispute:" + id},
			entry{kind: EntryDisputeFee, amount: -bt.Fee, donation: donation, at: at, source: source, key: "dispute-fee:" + id})
	}
	return out
}
