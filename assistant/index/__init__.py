"""The index: chunks and vectors in Chroma (one collection per encoder), the encoders, the BM25
keyword index and where it is persisted, hybrid retrieval, and the local `chroma run` server."""
