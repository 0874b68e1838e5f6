package sim

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"sync"
	"time"
)

// hash64 mixes a seed and labels into one 64-bit value, so every entity can
// own an independent random stream that does not depend on generation order.
func hash64(seed int64, labels ...string) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d", seed)
	for _, l := range labels {
		h.Write([]byte{0})
		h.Write([]byte(l))
	}
	return splitmix(h.Sum64())
}

func splitmix(x uint64) uint64 {
	x += 0x9E3779B97F4A7C15
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9
	x = (x ^ (x >> 27)) * 0x94D049BB133111EB
	return x ^ (x >> 31)
}

// newRand returns a deterministic generator for one stream of one entity.
func newRand(base uint64, stream string, idx int) *rand.Rand {
	return rand.New(rand.NewPCG(splitmix(base^hash64(int64(idx), stream)), base))
}

// between returns a uniformly random duration in [lo, hi).
func between(r *rand.Rand, lo, hi time.Duration) int64 {
	if hi <= lo {
		return int64(lo / time.Second)
	}
	return int64((lo + time.Duration(r.Int64N(int64(hi-lo)))) / time.Second)
}

func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

func unix(s int64) time.Time { return time.Unix(s, 0).UTC() }

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randString(r *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// marketInfo is what the dataset needs to know about a marketplace.
type marketInfo struct {
	salesChannel string
	currency     string
	country      string
	cities       []cityInfo
}

type cityInfo struct{ city, state, postal string }

var markets = map[string]marketInfo{
	MarketplaceUS: {"Amazon.com", "USD", "US", []cityInfo{{"Seattle", "WA", "98109"}, {"Canton", "MI", "48187"}, {"Austin", "TX", "78701"}, {"Denver", "CO", "80202"}, {"Brooklyn", "NY", "11201"}, {"Phoenix", "AZ", "85004"}}},
	MarketplaceCA: {"Amazon.ca", "CAD", "CA", []cityInfo{{"Toronto", "ON", "M5V 2T6"}, {"Vancouver", "BC", "V6B 1A1"}, {"Calgary", "AB", "T2P 1J9"}}},
	MarketplaceMX: {"Amazon.com.mx", "MXN", "MX", []cityInfo{{"Ciudad de Mexico", "CDMX", "06600"}, {"Guadalajara", "JAL", "44100"}, {"Monterrey", "NL", "64000"}}},
	// Japan, for accounts that list it: Amazon writes Japanese addresses
	// in Japanese (the FBA shipments sample in spapi-next-facts.md has
	// 東京都 and a +09:00 date), which is what makes its reports CP932.
	MarketplaceJP: {"Amazon.co.jp", "JPY", "JP", []cityInfo{{"渋谷区", "東京都", "150-0002"}, {"大阪市北区", "大阪府", "530-0001"}, {"札幌市中央区", "北海道", "060-0001"}, {"横浜市西区", "神奈川県", "220-0012"}, {"福岡市博多区", "福岡県", "812-0011"}}},
}

// minorUnit is the smallest amount of a currency in cents: one yen is
// 100 "cents" of money(), so JPY amounts stay whole ("1980.00").
func minorUnit(currency string) int64 {
	if currency == "JPY" {
		return 100
	}
	return 1
}

// roundMinor rounds cents down to a whole minor unit of currency; it is
// the identity for every currency with cents.
func roundMinor(currency string, cents int64) int64 {
	u := minorUnit(currency)
	return cents / u * u
}

// market returns the known facts of a marketplace, with neutral values for
// marketplaces outside North America.
func market(id string) marketInfo {
	if m, ok := markets[id]; ok {
		return m
	}
	return marketInfo{"Amazon", "USD", "US", markets[MarketplaceUS].cities}
}

// product is one catalog entry; orders and fulfillment orders draw their
// items from the account's catalog so SKUs repeat like a real seller's.
type product struct {
	asin  string
	sku   string
	title string
	cents int64
	// titleJA is the product's Japanese title on Amazon.co.jp, for most
	// products; empty when it is listed there under its English title.
	titleJA string
}

var titleWords = []string{"Stainless", "Bamboo", "Wireless", "Organic", "Compact", "Deluxe", "Travel", "Ceramic", "Smart", "Classic"}
var titleNouns = []string{"Water Bottle", "Cutting Board", "Headphones", "Tea Sampler", "Desk Lamp", "Backpack", "Mug Set", "Thermostat", "Yoga Mat", "Phone Stand"}

// Japanese titles, every character of them in CP932 (Windows-31J), as
// Amazon.co.jp's reports are encoded in it: full-width brackets and
// digits, kanji, kana and the NEC circled digits CP932 adds to Shift_JIS.
var titleWordsJA = []string{"ステンレス", "竹製", "ワイヤレス", "オーガニック", "コンパクト", "デラックス", "トラベル", "セラミック", "スマート", "クラシック"}
var titleNounsJA = []string{"水筒", "まな板", "ヘッドホン", "お茶詰め合わせ", "デスクライト", "リュックサック", "マグカップ（２個セット）", "サーモスタット", "ヨガマット", "スマホスタンド"}
var titleSuffixJA = []string{"", "", " 【正規品】", " ①", " 送料無料", "（ブラック）"}

func makeCatalog(base uint64, n int) []product {
	r := newRand(base, "catalog", 0)
	cat := make([]product, n)
	for i := range cat {
		cat[i] = product{
			asin:  "B0" + randString(r, alnum, 8),
			sku:   fmt.Sprintf("SKU-%s-%03d", randString(r, alnum, 4), i),
			title: titleWords[r.IntN(len(titleWords))] + " " + titleNouns[r.IntN(len(titleNouns))],
			cents: 499 + r.Int64N(19500),
		}
	}
	// A stream of its own, so the English catalog is what it was before
	// Japan was added.
	ja := newRand(base, "catalog-ja", 0)
	for i := range cat {
		w, n, suffix := ja.IntN(len(titleWordsJA)), ja.IntN(len(titleNounsJA)), ja.IntN(len(titleSuffixJA))
		if chance(ja, 0.7) {
			cat[i].titleJA = titleWordsJA[w] + titleNounsJA[n] + titleSuffixJA[suffix]
		}
	}
	return cat
}

// money formats cents as Amazon's decimal string amount.
func money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

// accountData is one account's dataset: compact timelines for every entity,
// built lazily on first use so a simulator with many large accounts starts
// instantly. Entity details are re-derived on demand from per-entity random
// streams, which is what keeps 200,000 orders cheap.
type accountData struct {
	acct   Account
	opts   *Options
	base   uint64
	acctNo int
	// size is this account's share of Options.AccountSizes, resolved;
	// its package numbers are pkgBase to pkgBase+pkgSpan-1 (scale.go).
	size    AccountSize
	pkgBase int
	pkgSpan int

	once    sync.Once
	catalog []product
	orders  *orderSet
	fulfill *fulfillmentSet
	jobs    *serviceSet

	finOnce sync.Once   // Finances transactions, derived on first use
	fin     *financeSet // (dataset_finances.go)
}

func (d *accountData) build() {
	d.once.Do(func() {
		d.catalog = makeCatalog(d.base, 200)
		d.orders = buildOrders(d)
		d.fulfill = buildFulfillment(d)
		d.jobs = buildServices(d)
	})
}

// creationTime draws a creation time uniformly from the dataset's range,
// Start-History to Start+Horizon.
func (d *accountData) creationTime(r *rand.Rand) int64 {
	from := d.opts.Start.Add(-d.opts.History).Unix()
	to := d.opts.Start.Add(d.opts.Horizon).Unix()
	return from + r.Int64N(to-from+1)
}

func (d *accountData) marketplace(r *rand.Rand) string {
	m := d.acct.MarketplaceIDs
	return m[r.IntN(len(m))]
}

// timeline is the event history of every entity of one kind in flat
// arrays: entity i's events are times[off[i]:off[i+1]], ascending, and the
// state at t is the prefix of events at or before t.
type timeline struct {
	ids   []string
	off   []int32
	times []int64
	kinds []uint8
	byID  map[string]int32

	updated []eventRef // every event, sorted by (at, id)
	created []eventRef // first events only, sorted by (at, id)
}

type eventRef struct {
	at  int64
	ent int32
	ord uint8
}

func newTimeline(n int) *timeline {
	return &timeline{ids: make([]string, 0, n), off: make([]int32, 1, n+1), times: make([]int64, 0, n*5), kinds: make([]uint8, 0, n*5), byID: make(map[string]int32, n)}
}

// add appends one entity and returns its index; events must be ascending.
func (tl *timeline) add(id string, times []int64, kinds []uint8) int {
	i := len(tl.ids)
	tl.ids = append(tl.ids, id)
	tl.times = append(tl.times, times...)
	tl.kinds = append(tl.kinds, kinds...)
	tl.off = append(tl.off, int32(len(tl.times)))
	tl.byID[id] = int32(i)
	return i
}

func (tl *timeline) events(i int) ([]int64, []uint8) {
	a, b := tl.off[i], tl.off[i+1]
	return tl.times[a:b], tl.kinds[a:b]
}

// applied is how many of entity i's events happened at or before t; zero
// means the entity does not exist yet.
func (tl *timeline) applied(i int, t int64) int {
	ts, _ := tl.events(i)
	n := 0
	for n < len(ts) && ts[n] <= t {
		n++
	}
	return n
}

// index sorts the event references once; the order never changes because
// events are fixed in advance, which is why no clock movement ever forces a
// re-sort.
func (tl *timeline) index() {
	for i := range tl.ids {
		ts, _ := tl.events(i)
		for k, at := range ts {
			ref := eventRef{at: at, ent: int32(i), ord: uint8(k)}
			tl.updated = append(tl.updated, ref)
			if k == 0 {
				tl.created = append(tl.created, ref)
			}
		}
	}
	less := func(refs []eventRef) func(a, b int) bool {
		return func(a, b int) bool {
			x, y := refs[a], refs[b]
			if x.at != y.at {
				return x.at < y.at
			}
			return tl.ids[x.ent] < tl.ids[y.ent]
		}
	}
	sort.Slice(tl.updated, less(tl.updated))
	sort.Slice(tl.created, less(tl.created))
}

// cursor is a position in a sorted event list: the last (time, id) served.
type cursor struct {
	At int64  `json:"t"`
	ID string `json:"i"`
}

// windowKind selects which time an entity is filtered and sorted by.
type windowKind string

const (
	byUpdated windowKind = "u"
	byCreated windowKind = "c"
)

// scan visits, in (time, id) order, every entity whose creation time
// (byCreated) or last-update time at snap (byUpdated) lies in [from, to)
// and sorts after the cursor. fn returns false to stop. Each entity is
// visited at most once, so walking pages from a fixed snap returns every
// match exactly once.
func (tl *timeline) scan(kind windowKind, from, to, snap int64, after *cursor, fn func(ent int, at int64) bool) {
	refs := tl.updated
	if kind == byCreated {
		refs = tl.created
	}
	start := sort.Search(len(refs), func(i int) bool {
		r := refs[i]
		if after != nil {
			if r.at != after.At {
				return r.at > after.At
			}
			return tl.ids[r.ent] > after.ID
		}
		return r.at >= from
	})
	for _, r := range refs[start:] {
		if r.at >= to || r.at > snap {
			return
		}
		if r.at < from {
			continue
		}
		if kind == byUpdated {
			ts, _ := tl.events(int(r.ent))
			if int(r.ord)+1 < len(ts) && ts[r.ord+1] <= snap {
				continue // a later event at snap supersedes this one
			}
		}
		if !fn(int(r.ent), r.at) {
			return
		}
	}
}

// lastUpdate is the time of the last event of entity i at or before t.
func (tl *timeline) lastUpdate(i int, t int64) (int64, int) {
	n := tl.applied(i, t)
	if n == 0 {
		return 0, 0
	}
	ts, _ := tl.events(i)
	return ts[n-1], n
}
