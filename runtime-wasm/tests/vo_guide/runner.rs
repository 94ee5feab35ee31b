// vo-web/src/async_runner.rs, run_vm_async_owned: the network's waits are an event source beside
// the timers, in place of the fetch futures. Loop while `!timers.is_empty() || net::pending() > 0`,
// await `select(net::next_ready(), timers.next())`, and wake a network token's fiber with:
fn wake_net(vm: &mut vo_vm::vm::Vm, token: u64) -> bool {
    let key = vm.host_event_key(vo_vm::scheduler::HostWaitSource::replay(vo_runtime::ffi::HostEventReplaySource::Fetch), token);
    vo_web_runtime_wasm::net::woke(token, key.is_some_and(|k| vm.wake_host_event(k)))
}
// When the run ends (where HttpRunCleanup drops): vo_web_runtime_wasm::net::cancel_all();
