# One GCP region's GPU fleet from inline pools (an A3/G2 type and an N1 + T4 type).
# In a real root the pools come from module.placement.fleets["gcp/<region>"].pools.
# Needs the hashicorp/google provider (downloaded by `terraform init`) and credentials.

terraform {
  required_version = ">= 1.0.3"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.50"
    }
  }
}

variable "project_id" {
  description = "GCP project to create the fleet in."
  type        = string
}

provider "google" {
  alias   = "us_central1"
  project = var.project_id
  region  = "us-central1"
}

module "fleet" {
  source = "../.."

  providers = {
    google = google.us_central1
  }

  project_id = var.project_id
  region     = "us-central1"
  pools = {
    "chat-api" = {
      workload              = "chat-api"
      kind                  = "inference"
      cloud                 = "gcp"
      region                = "us-central1"
      gpu_model             = "L4"
      instance_type         = "g2-standard-4"
      gpus_per_instance     = 1
      instance_count        = 2
      gpus                  = 2
      peak_gpus             = 2
      usd_per_hour          = 2
      cost_usd              = 336
      carbon_tco2e          = 0.02
      water_m3              = 0.08
      energy_mwh            = 0.04
      gpu_hours             = 336
      purchase              = "spot"
      usd_per_instance_hour = 1
      schedule_kind         = "dated"
      scaling_actions       = 2
      instance_hours        = 168
      deployed_cost_usd     = 168
      # A time-shifted job: 2 instances for 84 h, then none.
      steps = [
        { start_utc = "2027-01-04T00:00:00Z", hours = 84, instances = 2 },
        { start_utc = "2027-01-07T12:00:00Z", hours = 0, instances = 0 },
      ]
      recurrences = []
    }
    "embed-api" = {
      workload              = "embed-api"
      kind                  = "inference"
      cloud                 = "gcp"
      region                = "us-central1"
      gpu_model             = "T4"
      instance_type         = "n1-standard-8"
      gpus_per_instance     = 1
      instance_count        = 2
      gpus                  = 2
      peak_gpus             = 2
      usd_per_hour          = 1
      cost_usd              = 168
      carbon_tco2e          = 0.01
      water_m3              = 0.06
      energy_mwh            = 0.03
      gpu_hours             = 336
      purchase              = "spot"
      usd_per_instance_hour = 0.5
      schedule_kind         = "dated"
      scaling_actions       = 2
      instance_hours        = 168
      deployed_cost_usd     = 84
      # A time-shifted job: 2 instances for 84 h, then none.
      steps = [
        { start_utc = "2027-01-04T00:00:00Z", hours = 84, instances = 2 },
        { start_utc = "2027-01-07T12:00:00Z", hours = 0, instances = 0 },
      ]
      recurrences = []
    }
  }
}

output "groups" {
  description = "Regional managed instance groups by workload."
  value       = module.fleet.groups
}
