//! Toast (restaurant POS): API models, normalisation into transactions.
