package asana

// The client's fixed bounds, for the tests of package asana_test that
// check a listing or the change log stops exactly there.
const (
	MaxEmptyPages  = maxEmptyPages
	MaxOffsetBytes = maxOffsetBytes
	MaxChanges     = maxChanges
)
