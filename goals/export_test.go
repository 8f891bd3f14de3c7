package goals

import "slices"

// Employees returns the IDs of employees with stored goals, sorted.
func (s *MemoryStore) Employees() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]string, 0, len(s.emp))
	for id, gs := range s.emp {
		if len(gs) > 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
