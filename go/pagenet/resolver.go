//go:build js && wasm

package pagenet

import (
	"context"
	"net"
	"net/netip"
)

// Resolver looks names up over the page's DNS over HTTPS (its servers,
// cache and policy), as Go's *net.Resolver would; on js Go's own resolver
// can reach no server.
type Resolver struct{}

// DefaultResolver is the page's resolver.
var DefaultResolver = &Resolver{}

// LookupHost is DefaultResolver.LookupHost with context.Background().
func LookupHost(host string) ([]string, error) {
	return DefaultResolver.LookupHost(context.Background(), host)
}

// LookupIP is DefaultResolver.LookupIP(ctx, "ip", host) with context.Background().
func LookupIP(host string) ([]net.IP, error) {
	return DefaultResolver.LookupIP(context.Background(), "ip", host)
}

// LookupHost returns host's addresses (IPv4 first), or the literal itself.
func (r *Resolver) LookupHost(ctx context.Context, host string) ([]string, error) {
	if _, err := netip.ParseAddr(host); err == nil {
		return []string{host}, nil
	}
	ips, err := r.lookup(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ips))
	for i, ip := range ips {
		out[i] = ip.String()
	}
	return out, nil
}

// LookupIP returns host's addresses for network "ip", "ip4" or "ip6".
func (r *Resolver) LookupIP(ctx context.Context, network, host string) ([]net.IP, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []net.IP{net.IP(a.AsSlice())}, nil
	}
	addrs, err := r.lookup(ctx, network, host)
	if err != nil {
		return nil, err
	}
	out := make([]net.IP, len(addrs))
	for i, a := range addrs {
		out[i] = net.IP(a.AsSlice())
	}
	return out, nil
}

// LookupNetIP is LookupIP as netip.Addrs.
func (r *Resolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	return r.lookup(ctx, network, host)
}

func (r *Resolver) lookup(ctx context.Context, network, host string) ([]netip.Addr, error) {
	b, err := page()
	if err != nil {
		return nil, &net.DNSError{Err: err.Error(), Name: host}
	}
	p, err := call(b.lookupIP, network, host)
	if err == nil {
		p, err = await(ctx, p)
	}
	if err != nil {
		if _, ok := err.(*net.DNSError); ok {
			return nil, err
		}
		return nil, &net.DNSError{Err: err.Error(), Name: host, IsTimeout: ctx.Err() == context.DeadlineExceeded}
	}
	out := make([]netip.Addr, 0, p.Length())
	for i := 0; i < p.Length(); i++ {
		if a, err := netip.ParseAddr(p.Index(i).String()); err == nil {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return out, nil
}
