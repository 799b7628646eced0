package sealed

import "fmt"

// StoredEmail is one row's sealed address, the context it is sealed
// under, and the keyed hash stored beside it: the hash within Domain of
// Prefix followed by the address's hpa.EmailKey.
type StoredEmail struct {
	Context        string
	Domain, Prefix string
	Sealed, Hash   []byte
}

// StoredEmailRow is a StoredEmail and its row's ID.
type StoredEmailRow[ID any] struct {
	ID ID
	StoredEmail
}

// RekeyBatch is how many rows RekeyEmails' page should return at a time.
const RekeyBatch = 1000

// RekeyEmails gives every stored address the hash of h's current key,
// after a rotation of the hash key: page returns the rows after the last
// ID it was given (from the zero ID) until it returns none, and set stores
// a row's new hash. Rows already under the current key are left alone, so
// a second run changes nothing; a hash that matches no key stops it
// (ErrHashMismatch). It returns how many hashes it changed.
func RekeyEmails[ID any](ring *Ring, h *Hasher, page func(after ID) ([]StoredEmailRow[ID], error), set func(id ID, hash []byte) error) (int, error) {
	var after ID
	changed := 0
	for {
		rows, err := page(after)
		if err != nil {
			return changed, err
		}
		if len(rows) == 0 {
			return changed, nil
		}
		for _, r := range rows {
			hash, differs, err := h.RekeyEmail(ring, r.StoredEmail)
			if err != nil {
				return changed, fmt.Errorf("%s: %w", r.Context, err)
			}
			if differs {
				if err := set(r.ID, hash); err != nil {
					return changed, err
				}
				changed++
			}
		}
		after = rows[len(rows)-1].ID
	}
}
