terraform {
  # Provider-free: plain values in, plain values out. Runs offline (`terraform init
  # -backend=false` downloads nothing), which is how the test suite exercises it.
  required_version = ">= 1.0.3"
}
