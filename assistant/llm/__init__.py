"""The local model: llama.cpp chat model and the packaged GGUF assembly with hash checks."""
