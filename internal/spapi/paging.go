package spapi

import (
	"context"
	"errors"
	"iter"
)

// ErrNoMorePages is returned by Pager.Next after the last page.
var ErrNoMorePages = errors.New("spapi: no more pages")

// Pager walks a paged operation one request per Next call. It exists so that the caller
// decides when each request happens: take a rate-budget token, call Next, store the page,
// and stop (or snooze and resume from Token) whenever it likes:
//
//	p := client.GetOrdersPager(req)
//	for p.More() {
//		if err := budget.Acquire(ctx, account, spapi.OpGetOrders); err != nil { … }
//		page, err := p.Next(ctx)
//		if err != nil { … } // the pager did not advance; Next retries the same page
//		…
//	}
//
// A Pager is not safe for concurrent use.
type Pager[T any] struct {
	op    string
	fetch func(ctx context.Context, token string) (T, string, error)
	token string
	done  bool
	pages int
}

func newPager[T any](op, token string, fetch func(context.Context, string) (T, string, error)) *Pager[T] {
	return &Pager[T]{op: op, fetch: fetch, token: token}
}

// More reports whether another page remains: true before the first page and while the last
// page carried a next token.
func (p *Pager[T]) More() bool { return !p.done }

// Token returns the token of the next page, empty before the first page of a fresh walk and
// after the last page. Persist it to resume a walk later in a new pager.
func (p *Pager[T]) Token() string { return p.token }

// Pages returns how many pages Next has fetched successfully.
func (p *Pager[T]) Pages() int { return p.pages }

// Next sends exactly one request and returns its page. On error the pager does not move, so
// calling Next again retries the same page. After the last page it returns ErrNoMorePages
// without a request.
func (p *Pager[T]) Next(ctx context.Context) (T, error) {
	var zero T
	if p.done {
		return zero, ErrNoMorePages
	}
	page, next, err := p.fetch(ctx, p.token)
	if err != nil {
		return zero, err
	}
	if next != "" && next == p.token {
		return zero, &Error{Op: p.op, Kind: KindPermanent, Err: ErrRepeatedPageToken}
	}
	p.token, p.done = next, next == ""
	p.pages++
	return page, nil
}

// All iterates over the remaining pages. before, when not nil, runs before each request —
// the place to take a rate-budget token; its error is yielded and ends the iteration. A
// request error is yielded and ends the iteration too; the pager stays on that page, so a
// later Next or All retries it. Breaking out of the loop stops without further requests.
func (p *Pager[T]) All(ctx context.Context, before func(context.Context) error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		for p.More() {
			if before != nil {
				if err := before(ctx); err != nil {
					yield(zero, err)
					return
				}
			}
			page, err := p.Next(ctx)
			if err != nil {
				yield(zero, err)
				return
			}
			if !yield(page, nil) {
				return
			}
		}
	}
}
