import Foundation
import KilnCore

/// A first-order thermal response to a heat input, advanced exactly in time.
///
/// The state `x` approaches the heat input level `u` with time constant `tau`:
/// `x(t + dt) = x(t) + (u - x(t)) * (1 - exp(-dt / tau))`, which is the exact solution for a
/// constant `u`, so the result does not depend on how often the model is stepped. With a
/// `period`, the heat input is a square wave: `target` for the first period, `initial` for the
/// next, and so on, and a step is split at each toggle so it stays exact.
public struct ThermalModel: Sendable, Hashable {
    /// The starting level, and the heat input's low level.
    public let initial: Double
    /// The level the heat input drives toward; nil holds the state at `initial`.
    public let target: Double?
    /// Time constant in nanoseconds; 0 makes the state follow the input at once.
    let tauNanoseconds: Int64
    /// Half the square wave's cycle, in nanoseconds; 0 means a single step at time zero.
    let periodNanoseconds: Int64

    /// The modelled value now.
    public private(set) var state: Double
    /// How far the model has been advanced, in nanoseconds since it started.
    public private(set) var timeNanoseconds: Int64 = 0

    /// - Parameters:
    ///   - initial: the starting value and the heat input's low level.
    ///   - target: the heat input's high level; nil keeps the state at `initial`.
    ///   - tau: the time constant of the first-order response.
    ///   - period: when set, the heat input toggles between `target` and `initial` every period.
    public init(initial: Double, target: Double?, tau: Duration, period: Duration? = nil) {
        self.initial = initial
        self.target = target
        self.tauNanoseconds = max(0, tau.nanoseconds)
        self.periodNanoseconds = max(0, period?.nanoseconds ?? 0)
        self.state = initial
    }

    /// The model of a tag's `simulate:` block.
    public init(simulation: TagSimulation) {
        self.init(
            initial: simulation.value, target: simulation.target, tau: simulation.tau, period: simulation.period)
    }

    /// The heat input level in force at `elapsed` nanoseconds.
    public func heatInput(atNanoseconds elapsed: Int64) -> Double {
        guard let target else { return initial }
        guard periodNanoseconds > 0 else { return target }
        return (max(0, elapsed) / periodNanoseconds) % 2 == 0 ? target : initial
    }

    /// Advances the state to `elapsed` since the start; going back in time is ignored.
    public mutating func advance(to elapsed: Duration) {
        advance(toNanoseconds: elapsed.nanoseconds)
    }

    /// Advances the state to `elapsed` nanoseconds since the start.
    public mutating func advance(toNanoseconds elapsed: Int64) {
        while timeNanoseconds < elapsed {
            var end = elapsed
            if target != nil, periodNanoseconds > 0 {
                let boundary = (timeNanoseconds / periodNanoseconds + 1) * periodNanoseconds
                end = min(end, boundary)
            }
            let input = heatInput(atNanoseconds: timeNanoseconds)
            if tauNanoseconds == 0 {
                state = input
            } else {
                let fraction = -expm1(-Double(end - timeNanoseconds) / Double(tauNanoseconds))
                state += (input - state) * fraction
            }
            timeNanoseconds = end
        }
    }
}
