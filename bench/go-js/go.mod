module go-net-wasm/bench/go-js

go 1.27
