package database

// SealedColumn describes a sealed column for tests outside the package.
type SealedColumn = sealedColumn

// SealedColumns is every sealed column, for TestSealedColumnsOpen.
func SealedColumns() []SealedColumn { return sealedColumns }

// Table, IDColumn, Column and Context read a SealedColumn.
func (c SealedColumn) Table() string    { return c.table }
func (c SealedColumn) IDColumn() string { return c.idColumn }
func (c SealedColumn) Column() string   { return c.column }
func (c SealedColumn) Context(id string) string {
	return c.contextPrefix + id
}
