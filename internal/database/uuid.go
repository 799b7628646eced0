package database

import (
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
)

// pgx knows uuid.UUID only as a driver.Valuer: it asks for its text, fails
// to send that in binary (the format it prefers for uuid), builds an error
// with fmt.Errorf, and tries again in text. Every UUID parameter paid that;
// under sustained signups it was a tenth of the process's CPU in building
// query parameters, half of it in those errors. encodeUUIDs sends a
// uuid.UUID (and *uuid.UUID, nil for NULL) as the 16 bytes it is.
func encodeUUIDs(m *pgtype.Map) {
	m.TryWrapEncodePlanFuncs = append([]pgtype.TryWrapEncodePlanFunc{tryWrapUUID}, m.TryWrapEncodePlanFuncs...)
}

func tryWrapUUID(value any) (pgtype.WrappedEncodePlanNextSetter, any, bool) {
	switch value.(type) {
	case uuid.UUID:
		return &uuidEncodePlan{}, pgtype.UUID{}, true
	case *uuid.UUID:
		return &uuidEncodePlan{pointer: true}, pgtype.UUID{}, true
	}
	return nil, nil, false
}

// uuidEncodePlan encodes a uuid.UUID, or a *uuid.UUID, as a pgtype.UUID.
type uuidEncodePlan struct {
	pointer bool
	next    pgtype.EncodePlan
}

func (p *uuidEncodePlan) SetNext(next pgtype.EncodePlan) { p.next = next }

func (p *uuidEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	if !p.pointer {
		return p.next.Encode(pgtype.UUID{Bytes: value.(uuid.UUID), Valid: true}, buf)
	}
	if u := value.(*uuid.UUID); u != nil {
		return p.next.Encode(pgtype.UUID{Bytes: *u, Valid: true}, buf)
	}
	return p.next.Encode(pgtype.UUID{}, buf)
}
