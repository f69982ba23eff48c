"""The domain: schema, metrics, refresh, queries and the access layer.

pandas 3 keeps text columns in pyarrow by default; every scalar or label lookup on such a column
then goes through pyarrow, which made the live snapshot (small frames, many lookups) a fifth
slower. The same `str` dtype backed by Python objects behaves identically and is faster for the
frames Mirador builds, so it is set once here, before anything builds a frame.
"""

import pandas as pd

pd.set_option("mode.string_storage", "python")
