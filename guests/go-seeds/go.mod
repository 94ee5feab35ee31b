module go-net-wasm/guests/go-seeds

go 1.27
