package apitypes

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Day and Week are the units ParseDuration adds to Go's.
const (
	Day  = 24 * time.Hour
	Week = 7 * Day
)

// ParseDuration reads a duration as a user types it: Go's units (ns, us,
// ms, s, m, h) and also d (24 h) and w (7 d), in any mix ("1w2d",
// "1.5d", "36h", "2d12h"). It is the one parser of --expires and of the
// API's expires fields, so a CLI flag and a raw API call agree.
func ParseDuration(s string) (time.Duration, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, fmt.Errorf("duration is empty (e.g. 24h, 2d or 1w)")
	}
	var total float64
	var rest strings.Builder // segments Go's parser reads
	sign := 1.0
	str := in
	if str[0] == '-' || str[0] == '+' {
		if str[0] == '-' {
			sign = -1
		}
		str = str[1:]
	}
	for str != "" {
		i := 0
		for i < len(str) && (str[i] == '.' || (str[i] >= '0' && str[i] <= '9')) {
			i++
		}
		j := i
		for j < len(str) && (str[j] < '0' || str[j] > '9') && str[j] != '.' {
			j++
		}
		num, unit := str[:i], str[i:j]
		str = str[j:]
		if num == "" || unit == "" {
			return 0, fmt.Errorf("duration %q: use a number and a unit, e.g. 24h, 2d or 1w", in)
		}
		var mult time.Duration
		switch unit {
		case "d":
			mult = Day
		case "w":
			mult = Week
		default:
			rest.WriteString(num + unit)
			continue
		}
		f, err := strconv.ParseFloat(num, 64)
		if err != nil {
			return 0, fmt.Errorf("duration %q: bad number %q", in, num)
		}
		total += f * float64(mult)
	}
	if rest.Len() > 0 {
		d, err := time.ParseDuration(rest.String())
		if err != nil {
			return 0, fmt.Errorf("duration %q: units are s, m, h, d (day) and w (week), e.g. 90m, 2d or 1w", in)
		}
		total += float64(d)
	}
	if total >= math.MaxInt64 {
		return 0, fmt.Errorf("duration %q is too long", in)
	}
	return time.Duration(sign * total), nil
}

// FormatDuration writes d the way ParseDuration reads it, with days and
// weeks when whole ("2d", "1w", "1d12h0m0s").
func FormatDuration(d time.Duration) string {
	switch {
	case d > 0 && d%Week == 0:
		return strconv.FormatInt(int64(d/Week), 10) + "w"
	case d > 0 && d%Day == 0:
		return strconv.FormatInt(int64(d/Day), 10) + "d"
	case d > Day:
		return strconv.FormatInt(int64(d/Day), 10) + "d" + (d % Day).String()
	}
	return d.String()
}
