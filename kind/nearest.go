package kind

import "strings"

// Nearest returns the name of names closest to s, for a "did you mean"
// hint: the one at the smallest edit distance (at most 2, or at most a
// third of s's length for long names; case ignored), else the only name
// s is a prefix of; "" when none is close.
func Nearest(s string, names []string) string {
	low := strings.ToLower(s)
	best, bestD := "", max(3, len([]rune(s))/3+1)
	prefix, prefixes := "", 0
	for _, n := range names {
		if d := editDistance(low, strings.ToLower(n)); d < bestD {
			best, bestD = n, d
		}
		if low != "" && strings.HasPrefix(strings.ToLower(n), low) {
			prefix, prefixes = n, prefixes+1
		}
	}
	if best == "" && prefixes == 1 {
		return prefix
	}
	return best
}

// DidYouMean is Nearest as the end of an error message: "; did you mean
// "x"?" or "".
func DidYouMean(s string, names []string) string {
	if n := Nearest(s, names); n != "" && n != s {
		return "; did you mean \"" + n + "\"?"
	}
	return ""
}

// editDistance is Levenshtein's distance of a and b.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev, cur := make([]int, len(rb)+1), make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
