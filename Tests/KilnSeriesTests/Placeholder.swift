import Testing

@testable import KilnSeries
