/// Lets one reload run at a time, only while the gateway runs, and makes the shutdown wait for
/// a reload in progress (a shutdown must find one configuration running, not two half-swapped).
actor ReloadGate {
    private var isOpen = false
    private var closed = false
    private var busy = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Why a reload cannot start now, or nil when it may (the caller must ``end()`` it).
    func begin() -> String? {
        if closed { return "the gateway is shutting down" }
        if !isOpen { return "the gateway is still starting" }
        if busy { return "a reload is already in progress" }
        busy = true
        return nil
    }

    func end() {
        busy = false
        let w = waiters
        waiters = []
        for c in w { c.resume() }
    }

    /// The gateway runs: reloads may start.
    func open() { if !closed { isOpen = true } }

    /// The shutdown begins: no reload starts from now on; returns once a reload in progress ended.
    func close() async {
        closed = true
        isOpen = false
        while busy { await withCheckedContinuation { waiters.append($0) } }
    }
}
