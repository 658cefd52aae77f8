//! Square (POS): API models, normalisation into transactions, webhook signatures.
