package server

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Charts are drawn on the server as SVG: no chart framework, nothing
// inline for the CSP to refuse (colours are classes of app.css). Every bar
// has a <title> (the numbers on hover), and every chart comes with its
// numbers as a table for screen readers and for anyone who wants them.

// chartSeries is one named row of per-day numbers.
type chartSeries struct {
	Name   string
	Values []int64
}

// barChart is a stacked bar chart of per-day numbers, ready to draw.
type barChart struct {
	ID       string // unique on the page: the table's id
	Label    string // what it counts, per day ("events received")
	Unit     string // one of them ("event")
	W, H     int    // the SVG's viewBox
	Bars     []chartBar
	Legend   []chartLegend
	Rows     []chartRow // the table: one row per day, newest first
	Names    []string   // the table's columns
	Max      int64      // the top of the scale
	Total    int64
	From, To string // the first and last day, for the axis
}

// chartBar is one rectangle of the chart.
type chartBar struct {
	X, Y, W, H string // SVG user units
	Class      string // series-N: its colour
	Title      string // what it shows, on hover
}

// chartLegend is one series in the legend, with its total.
type chartLegend struct {
	Name, Class string
	Total       int64
}

// chartRow is one day of the chart's table.
type chartRow struct {
	Day    string
	Values []int64
	Total  int64
}

// chartColours is how many series have a colour of their own; the rest
// are summed into one "Other" series.
const chartColours = 5

// newBarChart lays out series over days (UTC midnights, oldest first),
// largest series first.
func newBarChart(id, label, unit string, days []time.Time, series []chartSeries) *barChart {
	series = topSeries(series, len(days))
	c := &barChart{ID: id, Label: label, Unit: unit, W: len(days) * 12, H: 120}
	if len(days) > 0 {
		c.From, c.To = days[0].Format("2 Jan"), days[len(days)-1].Format("2 Jan")
	}
	for i, s := range series {
		c.Names = append(c.Names, s.Name)
		c.Legend = append(c.Legend, chartLegend{Name: s.Name, Class: "series-" + strconv.Itoa(i), Total: sum(s.Values)})
	}
	for d := range days {
		var n int64
		for _, s := range series {
			n += s.Values[d]
		}
		c.Max = max(c.Max, n)
	}
	c.Max = niceCeil(c.Max)
	for d, day := range days {
		c.layDay(d, day, series)
	}
	slices.Reverse(c.Rows)
	return c
}

// mono draws a one-series chart in the accent colour, apart from the
// clients' colours.
func (c *barChart) mono() {
	for i := range c.Bars {
		c.Bars[i].Class = "series-mono"
	}
	for i := range c.Legend {
		c.Legend[i].Class = "series-mono"
	}
}

// layDay stacks one day's bars and adds its row to the table.
func (c *barChart) layDay(d int, day time.Time, series []chartSeries) {
	row := chartRow{Day: day.Format("Mon 2 Jan")}
	y := float64(c.H)
	for i, s := range series {
		v := s.Values[d]
		row.Values = append(row.Values, v)
		row.Total += v
		if v == 0 {
			continue
		}
		h := float64(v) / float64(c.Max) * float64(c.H)
		y -= h
		c.Bars = append(c.Bars, chartBar{
			X: units(float64(d*12) + 1.5), Y: units(y), W: "9", H: units(h),
			Class: "series-" + strconv.Itoa(i),
			Title: fmt.Sprintf("%s · %s: %s", day.Format("Mon 2 Jan"), s.Name, count(v, c.Unit)),
		})
	}
	c.Total += row.Total
	c.Rows = append(c.Rows, row)
}

// topSeries keeps the chartColours largest series (by total) and sums the
// others into "Other".
func topSeries(series []chartSeries, days int) []chartSeries {
	series = slices.Clone(series)
	slices.SortStableFunc(series, func(a, b chartSeries) int { return cmp.Compare(sum(b.Values), sum(a.Values)) })
	if len(series) <= chartColours {
		return series
	}
	other := chartSeries{Name: "Other clients", Values: make([]int64, days)}
	for _, s := range series[chartColours-1:] {
		for i, v := range s.Values {
			other.Values[i] += v
		}
	}
	return append(series[:chartColours-1], other)
}

func sum(vs []int64) int64 {
	var n int64
	for _, v := range vs {
		n += v
	}
	return n
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten (at least 1),
// the top of a scale people can read.
func niceCeil(n int64) int64 {
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= n {
				return m * p
			}
		}
	}
}

// units formats an SVG coordinate.
func units(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) }

// count says n of unit: "1 event", "12 events".
func count(n int64, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.FormatInt(n, 10) + " " + unit + "s"
}

// sparkline is a small bar chart of one key's requests per day.
type sparkline struct {
	W, H  int
	Bars  []chartBar
	Total int64
	Label string // for screen readers: the days and numbers in words
}

// newSparkline draws values over days (oldest first) as bars; a day
// without requests has a flat mark, so that the line reads as days.
func newSparkline(days []time.Time, values []int64) *sparkline {
	if values == nil {
		values = make([]int64, len(days))
	}
	s := &sparkline{W: len(days) * 6, H: 24, Total: sum(values)}
	top := max(slices.Max(append([]int64{1}, values...)), 1)
	for i, day := range days {
		v := values[i]
		h := max(float64(v)/float64(top)*float64(s.H), 1.5)
		class := "spark-bar"
		if v == 0 {
			class = "spark-none"
		}
		s.Bars = append(s.Bars, chartBar{
			X: units(float64(i*6) + .5), Y: units(float64(s.H) - h), W: "5", H: units(h), Class: class,
			Title: day.Format("Mon 2 Jan") + ": " + count(v, "request"),
		})
	}
	s.Label = fmt.Sprintf("%s in the last %d days", count(s.Total, "request"), len(days))
	if s.Total > 0 {
		s.Label += fmt.Sprintf(", %s today", count(values[len(values)-1], "request"))
	}
	return s
}
