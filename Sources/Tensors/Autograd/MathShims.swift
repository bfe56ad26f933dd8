import Foundation

@inline(__always) func _exp(_ x: Double) -> Double { Foundation.exp(x) }
@inline(__always) func _tanh(_ x: Double) -> Double { Foundation.tanh(x) }
@inline(__always) func _erf(_ x: Double) -> Double { Foundation.erf(x) }
@inline(__always) func _log(_ x: Double) -> Double { Foundation.log(x) }
