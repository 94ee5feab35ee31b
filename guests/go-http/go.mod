module go-net-wasm/guests/go-http

go 1.27
