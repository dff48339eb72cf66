import Testing

@testable import KilnHistorian
