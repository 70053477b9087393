package load

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"math"
	"os"
	"strings"
)

// Plot draws a report as an SVG: latency, rates, and the server's memory
// and CPU over the run, one panel each, with the phases marked; for the
// database scenario, each request's p50 and p99 beside the 5 ms target.
func Plot(in, out string) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := writeSVG(f, &r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type series struct {
	name  string
	color string
	dash  bool
	value func(Tick) float64
}

type panel struct {
	title  string
	series []series
	// gaps: a zero is "no data" (a second without any latency sample),
	// drawn as a break in the line rather than a drop to zero.
	gaps bool
}

const (
	svgWidth    = 880
	panelHeight = 170
	marginLeft  = 64
	marginRight = 150
	marginTop   = 52
	panelGap    = 38
)

func writeSVG(w io.Writer, r *Report) error {
	if r.Database != nil && len(r.Database.Endpoints) > 0 {
		return writeBars(w, r)
	}
	panels := []panel{
		{"latency, ms (per second)", []series{
			{"send → ack p50", "#1f77b4", true, func(t Tick) float64 { return t.AckP50 }},
			{"send → ack p99", "#1f77b4", false, func(t Tick) float64 { return t.AckP99 }},
			{"send → agent p50", "#d62728", true, func(t Tick) float64 { return t.AgP50 }},
			{"send → agent p99", "#d62728", false, func(t Tick) float64 { return t.AgP99 }},
			{otherName(r), "#9467bd", false, func(t Tick) float64 { return t.Other }},
		}, true},
		{"per second", []series{
			{"sent", "#2ca02c", false, func(t Tick) float64 { return float64(t.Sent) }},
			{"acknowledged", "#17becf", true, func(t Tick) float64 { return float64(t.Acked) }},
			{"sockets opened", "#8c564b", false, func(t Tick) float64 { return float64(t.Connect) }},
		}, false},
		{"open sockets (client)", []series{
			{"open", "#7f7f7f", false, func(t Tick) float64 { return float64(t.Open) }},
		}, false},
		{"server RSS, MiB", []series{
			{"RSS", "#ff7f0e", false, func(t Tick) float64 { return float64(t.RSS) / (1 << 20) }},
		}, false},
		{"CPU, cores", []series{
			{"server", "#e377c2", false, func(t Tick) float64 { return t.CPU }},
			{"load tool", "#bcbd22", true, func(t Tick) float64 { return t.ClientCPU }},
			{"other processes", "#7f7f7f", true, func(t Tick) float64 { return t.OtherCPU }},
		}, false},
		{"database writer busy, %", []series{
			{"busy", "#8c564b", false, func(t Tick) float64 { return 100 * t.WriterBusy }},
		}, true},
	}
	// Keep the series and panels that have data.
	var keep []panel
	for _, p := range panels {
		var ss []series
		for _, s := range p.series {
			for _, t := range r.Timeline {
				if s.value(t) > 0 {
					ss = append(ss, s)
					break
				}
			}
		}
		if len(ss) > 0 {
			p.series = ss
			keep = append(keep, p)
		}
	}
	height := marginTop + len(keep)*(panelHeight+panelGap) + 20
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", svgWidth, height, svgWidth, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(w, `<text x="%d" y="18" font-size="13" font-weight="bold">%s</text>`+"\n", marginLeft, esc(plotTitle(r)))
	tmax := 1.0
	if n := len(r.Timeline); n > 0 {
		tmax = r.Timeline[n-1].T
	}
	tmin := 0.0
	if len(r.Timeline) > 0 {
		tmin = math.Max(0, r.Timeline[0].T-1)
	}
	pw := float64(svgWidth - marginLeft - marginRight)
	x := func(t float64) float64 { return marginLeft + (t-tmin)/math.Max(tmax-tmin, 1)*pw }
	for i, p := range keep {
		top := float64(marginTop + i*(panelHeight+panelGap))
		ymax := 0.0
		for _, s := range p.series {
			for _, t := range r.Timeline {
				ymax = math.Max(ymax, s.value(t))
			}
		}
		step, ytop := niceScale(ymax)
		y := func(v float64) float64 { return top + panelHeight - v/ytop*panelHeight }
		fmt.Fprintf(w, `<text x="%d" y="%.0f" font-weight="bold">%s</text>`+"\n", marginLeft, top-6, esc(p.title))
		fmt.Fprintf(w, `<rect x="%d" y="%.0f" width="%.0f" height="%d" fill="none" stroke="#999"/>`+"\n", marginLeft, top, pw, panelHeight)
		for v := 0.0; v <= ytop+step/2; v += step {
			fmt.Fprintf(w, `<line x1="%d" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#eee"/>`, marginLeft, marginLeft+pw, y(v), y(v))
			fmt.Fprintf(w, `<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", marginLeft-4, y(v)+4, fmtTick(v))
		}
		// Phase changes, labelled where there is room.
		prev, lastLabel := "", math.Inf(-1)
		for _, t := range r.Timeline {
			if t.Phase != prev {
				px := x(t.T - 1)
				fmt.Fprintf(w, `<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f" stroke="#bbb" stroke-dasharray="2,3"/>`, px, px, top, top+panelHeight)
				if i == 0 && px-lastLabel > 45 {
					fmt.Fprintf(w, `<text x="%.1f" y="%.0f" fill="#888" font-size="9">%s</text>`, px+2, top+10, esc(t.Phase))
					lastLabel = px
				}
				fmt.Fprintln(w)
				prev = t.Phase
			}
		}
		for si, s := range p.series {
			dash := ""
			if s.dash {
				dash = ` stroke-dasharray="5,3"`
			}
			var pts []string
			flush := func() {
				if len(pts) > 0 {
					fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="1.5"%s points="%s"/>`+"\n", s.color, dash, strings.Join(pts, " "))
				}
				pts = pts[:0]
			}
			for _, t := range r.Timeline {
				v := s.value(t)
				if p.gaps && v == 0 {
					flush()
					continue
				}
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(t.T), y(v)))
			}
			flush()
			ly := top + 12 + float64(si)*15
			fmt.Fprintf(w, `<line x1="%.0f" x2="%.0f" y1="%.0f" y2="%.0f" stroke="%s" stroke-width="2"%s/>`, marginLeft+pw+8, marginLeft+pw+28, ly-4, ly-4, s.color, dash)
			fmt.Fprintf(w, `<text x="%.0f" y="%.0f">%s</text>`+"\n", marginLeft+pw+32, ly, esc(s.name))
		}
		if i == len(keep)-1 {
			tstep, _ := niceScale(tmax - tmin)
			for v := math.Ceil(tmin/tstep) * tstep; v <= tmax; v += tstep {
				fmt.Fprintf(w, `<text x="%.1f" y="%.0f" text-anchor="middle">%s s</text>`, x(v), top+panelHeight+14, fmtTick(v))
			}
			fmt.Fprintln(w)
		}
	}
	_, err := fmt.Fprintln(w, "</svg>")
	return err
}

func otherName(r *Report) string {
	if r.Scenario == "storm" {
		return "reconnect → resumed p99"
	}
	return "connect p99"
}

func plotTitle(r *Report) string {
	c := r.Config
	switch r.Scenario {
	case "chat":
		return fmt.Sprintf("parley load chat: %d accounts × %d visitors × %d agents, %.0f msg/s for %s — %s",
			c.Accounts, c.Visitors, c.Agents, c.Rate, c.Duration, r.Started.Format("2006-01-02"))
	case "idle":
		return fmt.Sprintf("parley load idle: %d visitor sockets — %s", c.Accounts*c.Visitors, r.Started.Format("2006-01-02"))
	case "storm":
		return fmt.Sprintf("parley load storm: %d visitors reconnect within %s — %s", c.Accounts*c.Visitors, c.Window, r.Started.Format("2006-01-02"))
	}
	return "parley load " + r.Scenario + " — " + r.Started.Format("2006-01-02")
}

// writeBars draws the database scenario: p50 and p99 of each request.
func writeBars(w io.Writer, r *Report) error {
	eps := r.Database.Endpoints
	rowH := 26
	height := marginTop + 20 + len(eps)*rowH + 40
	labelW := 170
	pw := float64(svgWidth - labelW - 60)
	vmax := 5.5
	for _, e := range eps {
		vmax = math.Max(vmax, e.Latency.P99)
	}
	step, top := niceScale(vmax)
	x := func(v float64) float64 { return float64(labelW) + v/top*pw }
	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", svgWidth, height, svgWidth, height)
	fmt.Fprintf(w, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(w, `<text x="10" y="18" font-size="13" font-weight="bold">%s</text>`+"\n",
		esc(fmt.Sprintf("parley load database: %d conversations, %d messages — latency at the API, ms (p50 light, p99 dark) — %s",
			r.Database.Conversations, r.Database.Messages, r.Started.Format("2006-01-02"))))
	y0 := marginTop + 10
	for v := 0.0; v <= top+step/2; v += step {
		fmt.Fprintf(w, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee"/><text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n",
			x(v), x(v), y0, y0+len(eps)*rowH, x(v), y0+len(eps)*rowH+14, fmtTick(v))
	}
	fmt.Fprintf(w, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#d62728" stroke-dasharray="4,3"/><text x="%.1f" y="%d" fill="#d62728">target 5 ms</text>`+"\n",
		x(5), x(5), y0-4, y0+len(eps)*rowH, x(5)+3, y0-6)
	for i, e := range eps {
		y := y0 + i*rowH
		fmt.Fprintf(w, `<text x="%d" y="%d" text-anchor="end">%s</text>`, labelW-8, y+16, esc(e.Name))
		fmt.Fprintf(w, `<rect x="%d" y="%d" width="%.1f" height="9" fill="#9ecae1"/>`, labelW, y+4, x(e.Latency.P50)-float64(labelW))
		fmt.Fprintf(w, `<rect x="%d" y="%d" width="%.1f" height="9" fill="#1f77b4"/>`, labelW, y+13, x(e.Latency.P99)-float64(labelW))
		fmt.Fprintf(w, `<text x="%.1f" y="%d" font-size="10">%.2f / %.2f</text>`+"\n", x(e.Latency.P99)+4, y+21, e.Latency.P50, e.Latency.P99)
	}
	_, err := fmt.Fprintln(w, "</svg>")
	return err
}

// niceScale picks a tick step of 1, 2 or 5 × 10^n and the axis top.
func niceScale(max float64) (step, top float64) {
	if max <= 0 || math.IsNaN(max) || math.IsInf(max, 0) {
		return 1, 1
	}
	raw := max / 5
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / mag; {
	case f <= 1:
		step = mag
	case f <= 2:
		step = 2 * mag
	case f <= 5:
		step = 5 * mag
	default:
		step = 10 * mag
	}
	return step, math.Ceil(max/step) * step
}

func fmtTick(v float64) string {
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
}

func esc(s string) string { return html.EscapeString(s) }
