module go-net-wasm/bench/go-js

go 1.27

require go-net-wasm/pagenet v0.0.0

replace go-net-wasm/pagenet => ../../go/pagenet
