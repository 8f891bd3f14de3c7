package status

// MapGoalStatus returns the PerfCopilot status of the word in an Asana
// goal's own status field, which Asana shows even when no status update was
// ever posted. It is a table of its own, not part of [Map]'s spec table,
// because its words mean something else there: Asana writes an open goal's
// status as a colour.
//
//	green                 → on_track
//	yellow                → at_risk
//	red                   → off_track
//	achieved              → completed
//	partial               → at_risk
//	missed, dropped       → off_track
//	anything else, empty  → on_track
//
// The input is normalised like [Map]'s ("Red", " RED " and "red" are the
// same word). Like [Map] it is total and pure.
//
// A status update's status_type, when there is one, is mapped with [Map]
// and wins over this field; MapGoalStatus is for goals without one.
func MapGoalStatus(raw string) Status {
	s, _ := lookupGoalStatus(raw)
	return s
}

// lookupGoalStatus is [MapGoalStatus] that also reports whether raw is one
// of the seven words Asana documents for a goal's status field. For any
// other word, or an empty one, it returns [OnTrack] and false.
func lookupGoalStatus(raw string) (Status, bool) {
	key, ok := normalize(raw, len("achieved"))
	if !ok {
		return OnTrack, false
	}
	switch key {
	case "green":
		return OnTrack, true
	case "yellow":
		return AtRisk, true
	case "red":
		return OffTrack, true
	case "achieved":
		return Completed, true
	case "partial":
		return AtRisk, true
	case "missed", "dropped":
		return OffTrack, true
	}
	return OnTrack, false
}
