package results

import "testing"

func TestPM(t *testing.T) {
	for _, tc := range []struct {
		v, se float64
		want  string
	}{
		{-1.23456, 0.0012, "-1.2346(12)"},
		{0.5, 0.03, "0.500(30)"},
		{12.3, 1.5, "12.3(15)"},
		{1.0, 0, "1"},
		{0.7, 0.0996, "0.70(10)"},
	} {
		if got := PM(tc.v, tc.se); got != tc.want {
			t.Errorf("PM(%v, %v) = %q, want %q", tc.v, tc.se, got, tc.want)
		}
	}
}
