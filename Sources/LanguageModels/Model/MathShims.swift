import Foundation

@inline(__always) func Foundation_exp(_ x: Double) -> Double { Foundation.exp(x) }
