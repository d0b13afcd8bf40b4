package bench

import "time"

// Row is one measured arm of a comparison.
type Row struct {
	// Name says what was measured.
	Name string `json:"name"`
	// Summary holds the percentiles of the arm's durations.
	Summary Summary `json:"summary"`
	// Baseline names the row this one is compared with ("" for none).
	Baseline string `json:"baseline,omitempty"`
	// Added is P50 minus the baseline's P50, AddedP99 the same for P99.
	Added    time.Duration `json:"added"`
	AddedP99 time.Duration `json:"added_p99"`
	// Ratio is P50 over the baseline's P50.
	Ratio float64 `json:"ratio"`
	// RoundTrips is the store round trips per invocation (negative: not
	// counted).
	RoundTrips float64 `json:"round_trips"`
}

// Section is a table of rows measured in one alternating run.
type Section struct {
	Title string `json:"title"`
	// Note explains the setup, under the title.
	Note string `json:"note"`
	Rows []Row  `json:"rows"`
}

// Row returns the row named name, or nil.
func (s *Section) Row(name string) *Row {
	for i := range s.Rows {
		if s.Rows[i].Name == name {
			return &s.Rows[i]
		}
	}
	return nil
}

// compare fills Added and Ratio of every row that names a baseline.
func (s *Section) compare() {
	for i := range s.Rows {
		r := &s.Rows[i]
		if r.Baseline == "" {
			continue
		}
		if b := s.Row(r.Baseline); b != nil {
			r.Added = r.Summary.P50 - b.Summary.P50
			r.AddedP99 = r.Summary.P99 - b.Summary.P99
			r.Ratio = Ratio(r.Summary.P50, b.Summary.P50)
		}
	}
}

// spec declares a row before the run: its name and baseline.
type spec struct{ name, baseline string }

// section builds a Section from alternating run output.
func section(title, note string, samples map[string][]time.Duration, specs ...spec) Section {
	s := Section{Title: title, Note: note}
	for _, sp := range specs {
		s.Rows = append(s.Rows, Row{Name: sp.name, Baseline: sp.baseline, Summary: Summarize(samples[sp.name]), RoundTrips: -1})
	}
	s.compare()
	return s
}

// Target is one goal of issue 7 and whether this run met it.
type Target struct {
	What string `json:"what"`
	Want string `json:"want"`
	Got  string `json:"got"`
	Met  bool   `json:"met"`
}
