// Package sealed encrypts small personal fields at rest with AES-256-GCM
// under named keys, so a key can be rotated without re-encrypting old rows
// at once: store the key ID beside each sealed value, seal new values with
// the current key, open old ones with whichever key sealed them.
//
//	ring, err := sealed.NewKeyring([]sealed.Key{{ID: "k2", Secret: k2}, {ID: "k1", Secret: k1}})
//	keyID, box, err := ring.Seal(plaintext, []byte(rowID)) // store both
//	plaintext, err := ring.Open(keyID, box, []byte(rowID))
//
// The associated data (for example the row's ID) binds a sealed value to
// its row: a value copied into another row does not open.
package sealed
