import CSQLite
import KilnCore
import KilnSeries
