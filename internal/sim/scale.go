package sim

import (
	"bufio"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// AccountSize is the size of one account's dataset, for simulators whose
// sellers differ (Options.AccountSizes). A zero count takes the Options'
// per-account value (Orders, FulfillmentOrders, ServiceJobs); a negative
// one means none.
type AccountSize struct {
	Orders            int
	FulfillmentOrders int
	ServiceJobs       int
	// OrderRateScale multiplies the PerHour of every Options.OrderRates
	// span for this account, so a large seller's orders also arrive
	// faster. Zero means 1, negative no rate orders at all.
	OrderRateScale float64
}

// SellerMix is an Options.AccountSizes for benchmarks of many sellers: most
// small, a quarter medium, a few large, as among the sellers an integrator
// syncs (a marketplace's sales are concentrated in few sellers). The tier
// comes from a hash of the account id alone, so a seller keeps its size
// whatever the seed and however many accounts are configured:
//
//   - 70 % small: 60 orders, 5 fulfillment orders, 3 service jobs, order
//     rates ×0.2;
//   - 25 % medium: 300 orders, 40 fulfillment orders, 20 service jobs,
//     order rates ×1 (the per-seller figures issue 25 was measured with);
//   - 5 % large: 3,000 orders, 400 fulfillment orders, 100 service jobs,
//     order rates ×10.
//
// On average a seller has 267 orders, 37.5 fulfillment orders and 12.1
// service jobs over the dataset's History+Horizon (16 days by default).
func SellerMix(_ int, a Account) AccountSize {
	switch u := hash64(0, "seller-mix", a.ID) % 100; {
	case u < 5:
		return AccountSize{Orders: 3000, FulfillmentOrders: 400, ServiceJobs: 100, OrderRateScale: 10}
	case u < 30:
		return AccountSize{Orders: 300, FulfillmentOrders: 40, ServiceJobs: 20, OrderRateScale: 1}
	default:
		return AccountSize{Orders: 60, FulfillmentOrders: 5, ServiceJobs: 3, OrderRateScale: 0.2}
	}
}

// Sellers returns n accounts named seller-0001, seller-0002, … for scale
// tests and benchmarks: the demo application's client id and secret (one
// application authorized by many sellers, as an integrator's), each seller
// its own refresh token and selling partner id.
func Sellers(n int) []Account {
	out := make([]Account, n)
	for i := range out {
		a := DemoAccount
		a.ID = fmt.Sprintf("seller-%04d", i+1)
		a.SellerID = ""
		a.RefreshToken = DemoAccount.RefreshToken + "-" + a.ID
		a.MarketplaceIDs = append([]string(nil), DemoAccount.MarketplaceIDs...)
		out[i] = a
	}
	return out
}

// Package numbers are int32 in Amazon's model, and the simulator derives
// them from (account, fulfillment order, shipment, package) so that
// tracking needs no table. The first legacyPackageAccounts accounts keep
// the layout they always had, 10,000,000 numbers each from
// (account+1)×10,000,000, so their data stays the same byte for byte; the
// accounts after them share what int32 leaves above, packed by their
// number of fulfillment orders (16 numbers each: at most 4 shipments of 4
// packages). That fits ~8.5 million fulfillment orders across accounts
// 201 and beyond: 5,000 sellers of 1,700 each, or 20,000 of 425.
const (
	legacyPackageAccounts = 200
	legacyPackageSpan     = 10_000_000
	packagesPerFO         = 16
	packedPackageStart    = (legacyPackageAccounts + 1) * legacyPackageSpan
)

// accountLayout is what New resolves per account before any data exists:
// its dataset's size and where its package numbers start.
type accountLayout struct {
	size    AccountSize
	pkgBase int
	pkgSpan int
}

// layoutAccounts resolves every account's size (Options.AccountSizes over
// the per-account defaults) and package-number range, refusing a
// configuration whose package numbers would leave int32.
func layoutAccounts(o Options) ([]accountLayout, error) {
	out := make([]accountLayout, len(o.Accounts))
	next := packedPackageStart
	for i, a := range o.Accounts {
		size := AccountSize{}
		if o.AccountSizes != nil {
			size = o.AccountSizes(i, a)
		}
		pick := func(v, def int) int {
			switch {
			case v == 0:
				return def
			case v < 0:
				return 0
			}
			return v
		}
		size.Orders = pick(size.Orders, o.Orders)
		size.FulfillmentOrders = pick(size.FulfillmentOrders, o.FulfillmentOrders)
		size.ServiceJobs = pick(size.ServiceJobs, o.ServiceJobs)
		switch {
		case size.OrderRateScale == 0:
			size.OrderRateScale = 1
		case size.OrderRateScale < 0:
			size.OrderRateScale = 0
		}
		l := accountLayout{size: size}
		if i < legacyPackageAccounts {
			if size.FulfillmentOrders > 600_000 {
				return nil, fmt.Errorf("sim: account %q: at most 600,000 fulfillment orders per account (package numbers must stay within int32)", a.ID)
			}
			l.pkgBase, l.pkgSpan = (i+1)*legacyPackageSpan, legacyPackageSpan
		} else {
			l.pkgBase, l.pkgSpan = next, size.FulfillmentOrders*packagesPerFO
			next += l.pkgSpan
			if next-1 > math.MaxInt32 {
				return nil, fmt.Errorf("sim: account %q: the fulfillment orders of the accounts after the first %d need more package numbers than int32 leaves (%d fulfillment orders in all): configure fewer accounts or fewer fulfillment orders per account",
					a.ID, legacyPackageAccounts, (math.MaxInt32-packedPackageStart+1)/packagesPerFO)
			}
		}
		out[i] = l
	}
	return out, nil
}

// Latency is how long the simulator takes to answer an SP-API call, drawn
// per call (Options.Latency). Amazon's answers take hundreds of
// milliseconds, and a client whose concurrency was only ever tried
// against near-instant answers learns at production scale how many calls
// it can have in flight; the simulator is where to learn it first.
//
// With Median zero, delays are uniform from Min to Max (exactly Min when
// Max is below it). With Median positive they are log-normal: half the
// calls shorter than Median, the logarithm's standard deviation Sigma
// (zero means 0.3), clamped to Min and, unless zero, Max; a log-normal's
// long right tail is what response times look like. The zero Latency
// answers at once.
//
// Transit is the part that comes before Amazon counts the call: SP-API's
// usage plans are API Gateway's, which throttles request submissions as
// they arrive (docs.aws.amazon.com/apigateway/latest/developerguide/
// api-gateway-request-throttling.html), and the hundreds of milliseconds
// are the operation's work after that. Each call's transit is drawn
// uniformly from 0 to Transit, the network's jitter between a client and
// the endpoint; the usage plan sees the call after it, and the drawn delay
// follows. A client granting itself tokens at a bucket's rate therefore
// meets Amazon's bucket with that jitter, not with the answer's.
type Latency struct {
	Min, Max time.Duration
	Median   time.Duration
	Sigma    float64
	Transit  time.Duration
}

// RealisticLatency is close to what SP-API users report for the simulated
// operations: most answers in 200–600 ms (log-normal, median 350 ms, 90 %
// between 215 and 570 ms), none under 100 ms, a tail cut at 2 s. Benchmarks
// use it; tests keep the zero Latency so that they stay fast.
// Its transit is up to 30 ms: a worker in the endpoint's region.
var RealisticLatency = Latency{Min: 100 * time.Millisecond, Median: 350 * time.Millisecond, Sigma: 0.3, Max: 2 * time.Second, Transit: 30 * time.Millisecond}

// IsZero reports whether l answers at once.
func (l Latency) IsZero() bool {
	return l.Min <= 0 && l.Max <= 0 && l.Median <= 0 && l.Transit <= 0
}

func (l Latency) validate() error {
	if l.Min < 0 || l.Max < 0 || l.Median < 0 || l.Sigma < 0 || l.Transit < 0 {
		return errors.New("durations and Sigma must not be negative")
	}
	if l.Median > 0 {
		if l.Median < l.Min || (l.Max > 0 && l.Median > l.Max) {
			return fmt.Errorf("Median %s outside [Min %s, Max %s]", l.Median, l.Min, l.Max)
		}
	} else if l.Max > 0 && l.Max < l.Min {
		return fmt.Errorf("Max %s below Min %s", l.Max, l.Min)
	}
	return nil
}

// delay maps two independent uniform draws in [0, 1) to one delay.
func (l Latency) delay(u1, u2 float64) time.Duration {
	if l.Median <= 0 {
		if l.Max <= l.Min {
			return l.Min
		}
		return l.Min + time.Duration(u1*float64(l.Max-l.Min))
	}
	sigma := l.Sigma
	if sigma == 0 {
		sigma = 0.3
	}
	z := math.Sqrt(-2*math.Log(1-u1)) * math.Cos(2*math.Pi*u2) // Box–Muller
	d := time.Duration(float64(l.Median) * math.Exp(sigma*z))
	if d < l.Min {
		d = l.Min
	}
	if l.Max > 0 && d > l.Max {
		d = l.Max
	}
	return d
}

// String is l in ParseLatency's syntax.
func (l Latency) String() string {
	switch {
	case l.IsZero():
		return "0"
	case l == RealisticLatency:
		return "realistic"
	case l.Median <= 0 && l.Transit > 0:
		return "min=" + l.Min.String() + ",max=" + max(l.Min, l.Max).String() + ",transit=" + l.Transit.String()
	case l.Median > 0:
		s := "median=" + l.Median.String()
		if l.Sigma > 0 {
			s += ",sigma=" + strconv.FormatFloat(l.Sigma, 'g', -1, 64)
		}
		if l.Min > 0 {
			s += ",min=" + l.Min.String()
		}
		if l.Max > 0 {
			s += ",max=" + l.Max.String()
		}
		if l.Transit > 0 {
			s += ",transit=" + l.Transit.String()
		}
		return s
	case l.Max <= l.Min:
		return l.Min.String()
	}
	return l.Min.String() + "-" + l.Max.String()
}

// ParseLatency reads a latency as `worker sim --latency` takes it: "0"
// (none), "realistic" (RealisticLatency), a duration D (every answer takes
// D), "MIN-MAX" (uniform, e.g. 200ms-600ms) or log-normal as
// "median=350ms,sigma=0.3,min=100ms,max=2s" (sigma, min and max optional);
// transit=D adds Latency.Transit (e.g. "median=350ms,transit=30ms", or
// "min=200ms,max=600ms,transit=30ms" for a uniform delay).
func ParseLatency(v string) (Latency, error) {
	v = strings.TrimSpace(v)
	dur := func(s string) (time.Duration, error) {
		if n, err := strconv.ParseFloat(s, 64); err == nil && n == 0 {
			return 0, nil
		}
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("latency %q: %q is not a duration like 300ms", v, s)
		}
		return d, nil
	}
	var l Latency
	switch {
	case v == "" || v == "0":
		return Latency{}, nil
	case v == "realistic":
		return RealisticLatency, nil
	case strings.Contains(v, "="):
		for _, kv := range strings.Split(v, ",") {
			k, val, _ := strings.Cut(strings.TrimSpace(kv), "=")
			var err error
			switch k {
			case "median":
				l.Median, err = dur(val)
			case "min":
				l.Min, err = dur(val)
			case "max":
				l.Max, err = dur(val)
			case "transit":
				l.Transit, err = dur(val)
			case "sigma":
				l.Sigma, err = strconv.ParseFloat(val, 64)
				if err != nil {
					err = fmt.Errorf("latency %q: sigma %q is not a number", v, val)
				}
			default:
				err = fmt.Errorf("latency %q: unknown key %q (median, sigma, min, max, transit)", v, k)
			}
			if err != nil {
				return Latency{}, err
			}
		}
		if l.Median <= 0 {
			if l.Transit <= 0 || l.Min <= 0 || l.Sigma > 0 {
				return Latency{}, fmt.Errorf("latency %q: a log-normal latency needs median= (a uniform one with transit: min=,max=,transit=)", v)
			}
			l.Max = max(l.Max, l.Min)
		}
	default:
		a, b, isRange := strings.Cut(v, "-")
		var err error
		if l.Min, err = dur(a); err != nil {
			return Latency{}, err
		}
		l.Max = l.Min
		if isRange {
			if l.Max, err = dur(b); err != nil {
				return Latency{}, err
			}
		}
	}
	if err := l.validate(); err != nil {
		return Latency{}, fmt.Errorf("latency %q: %w", v, err)
	}
	return l, nil
}

// answerDelay draws the latency of one SP-API answer. The draws come from
// the seed and a call counter, not a shared generator, so concurrent
// calls take no lock to draw and a sequential client sees the same delays
// on every run.
//
// It returns the call's transit (before the usage plan counts it) and the
// rest of its delay (after).
func (s *Sim) answerDelay() (transit, work time.Duration) {
	l := s.opts.Latency
	if l.IsZero() {
		return 0, 0
	}
	x := splitmix(s.latencyBase + s.latencySeq.Add(1))
	y := splitmix(x)
	d := l.delay(unitFloat(x), unitFloat(y))
	if l.Transit > 0 {
		transit = min(d, time.Duration(unitFloat(splitmix(y))*float64(l.Transit)))
	}
	return transit, d - transit
}

// unitFloat maps 64 random bits to [0, 1).
func unitFloat(x uint64) float64 { return float64(x>>11) / (1 << 53) }

// answerLatency waits out an SP-API call's transit (Latency.Transit) and
// returns w made to wait out the rest of its latency before the answer's
// first byte, so that the usage plan and authentication see the call when
// it arrives and the delay follows, refusals included. Both waits run on
// the request's own goroutine, holding no lock, so that calls in flight
// overlap as they do at Amazon instead of queueing behind each other.
func (s *Sim) answerLatency(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
	transit, work := s.answerDelay()
	if transit > 0 {
		s.sleep(r.Context(), transit)
	}
	if work <= 0 {
		return w
	}
	return &delayedWriter{ResponseWriter: w, wait: func() { s.sleep(r.Context(), work) }}
}

// delayedWriter waits once before the first byte of an answer (or before
// dropping its connection).
type delayedWriter struct {
	http.ResponseWriter
	wait   func()
	waited bool
}

func (d *delayedWriter) before() {
	if !d.waited {
		d.waited = true
		d.wait()
	}
}

func (d *delayedWriter) WriteHeader(code int) {
	d.before()
	d.ResponseWriter.WriteHeader(code)
}

func (d *delayedWriter) Write(b []byte) (int, error) {
	d.before()
	return d.ResponseWriter.Write(b)
}

// Hijack lets an injected dropped connection through, after the delay.
func (d *delayedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	d.before()
	hj, ok := d.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("sim: the response writer cannot be hijacked")
	}
	return hj.Hijack()
}

// Unwrap lets http.ResponseController reach the server's writer.
func (d *delayedWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }
