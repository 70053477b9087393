package load

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// Latencies are kept in microseconds in log-linear buckets: exact below
// 128 µs, then 64 buckets per power of two (at most 1.6% wide), up to
// about 4.5 years. Histograms of several processes merge by adding counts.
const (
	linearBuckets = 128
	subBuckets    = 64
	maxShift      = 40
	numBuckets    = linearBuckets + maxShift*subBuckets
)

func bucketOf(us int64) int {
	if us < linearBuckets {
		if us < 0 {
			return 0
		}
		return int(us)
	}
	shift := bits.Len64(uint64(us)) - 7
	if shift > maxShift {
		return numBuckets - 1
	}
	return linearBuckets + (shift-1)*subBuckets + int(us>>shift) - subBuckets
}

// bucketHigh is the largest value (µs) that falls into bucket i.
func bucketHigh(i int) int64 {
	if i < linearBuckets {
		return int64(i)
	}
	shift := (i-linearBuckets)/subBuckets + 1
	sub := int64((i-linearBuckets)%subBuckets + subBuckets)
	return (sub+1)<<shift - 1
}

// Hist is a latency histogram safe for concurrent use.
type Hist struct {
	counts [numBuckets]atomic.Uint64
	max    atomic.Int64
}

// Record adds one latency.
func (h *Hist) Record(d time.Duration) {
	us := d.Microseconds()
	h.counts[bucketOf(us)].Add(1)
	for {
		m := h.max.Load()
		if us <= m || h.max.CompareAndSwap(m, us) {
			return
		}
	}
}

// Snapshot copies the histogram.
func (h *Hist) Snapshot() HistSnap {
	var s HistSnap
	for i := range h.counts {
		if n := h.counts[i].Load(); n > 0 {
			s.Buckets = append(s.Buckets, [2]int64{int64(i), int64(n)})
			s.Count += int64(n)
		}
	}
	s.MaxUS = h.max.Load()
	return s
}

// HistSnap is a histogram at one moment: the non-empty buckets as
// [index, count] pairs in index order, which is also its JSON form.
type HistSnap struct {
	Count   int64      `json:"count"`
	MaxUS   int64      `json:"max_us"`
	Buckets [][2]int64 `json:"buckets,omitempty"`
}

// Add returns the sum of two snapshots.
func (s HistSnap) Add(o HistSnap) HistSnap {
	out := HistSnap{Count: s.Count + o.Count, MaxUS: max(s.MaxUS, o.MaxUS)}
	i, j := 0, 0
	for i < len(s.Buckets) || j < len(o.Buckets) {
		switch {
		case j == len(o.Buckets) || (i < len(s.Buckets) && s.Buckets[i][0] < o.Buckets[j][0]):
			out.Buckets = append(out.Buckets, s.Buckets[i])
			i++
		case i == len(s.Buckets) || o.Buckets[j][0] < s.Buckets[i][0]:
			out.Buckets = append(out.Buckets, o.Buckets[j])
			j++
		default:
			out.Buckets = append(out.Buckets, [2]int64{s.Buckets[i][0], s.Buckets[i][1] + o.Buckets[j][1]})
			i++
			j++
		}
	}
	return out
}

// Sub returns what was recorded after the earlier snapshot prev. The
// maximum of the difference is not known exactly; the highest non-empty
// bucket's bound stands in for it, capped by the overall maximum.
func (s HistSnap) Sub(prev HistSnap) HistSnap {
	out := HistSnap{}
	j := 0
	for _, b := range s.Buckets {
		n := b[1]
		for j < len(prev.Buckets) && prev.Buckets[j][0] < b[0] {
			j++
		}
		if j < len(prev.Buckets) && prev.Buckets[j][0] == b[0] {
			n -= prev.Buckets[j][1]
		}
		if n > 0 {
			out.Buckets = append(out.Buckets, [2]int64{b[0], n})
			out.Count += n
		}
	}
	if len(out.Buckets) > 0 {
		out.MaxUS = min(bucketHigh(int(out.Buckets[len(out.Buckets)-1][0])), s.MaxUS)
	}
	return out
}

// Quantile returns the latency at quantile q (0 < q <= 1): the upper bound
// of the bucket holding it, never above the maximum. Zero when empty.
func (s HistSnap) Quantile(q float64) time.Duration {
	if s.Count == 0 {
		return 0
	}
	rank := int64(q*float64(s.Count) + 0.999999)
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for _, b := range s.Buckets {
		seen += b[1]
		if seen >= rank {
			return time.Duration(min(bucketHigh(int(b[0])), s.MaxUS)) * time.Microsecond
		}
	}
	return time.Duration(s.MaxUS) * time.Microsecond
}

// Max is the largest latency recorded.
func (s HistSnap) Max() time.Duration { return time.Duration(s.MaxUS) * time.Microsecond }
