module go-net-wasm/pagenet

go 1.21
