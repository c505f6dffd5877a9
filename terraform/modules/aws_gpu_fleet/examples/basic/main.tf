# One AWS region's GPU fleet from an inline pool. In a real root the pools come from
# module.placement.fleets["aws/<region>"].pools and the provider from providers.tf.json.
# Needs the hashicorp/aws provider (downloaded by `terraform init`) and AWS credentials.

terraform {
  required_version = ">= 1.0.3"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.25"
    }
  }
}

provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
}

module "fleet" {
  source = "../.."

  providers = {
    aws = aws.us_east_1
  }

  region = "us-east-1"
  pools = {
    "llm-finetune" = {
      workload              = "llm-finetune"
      kind                  = "training"
      cloud                 = "aws"
      region                = "us-east-1"
      gpu_model             = "H100"
      instance_type         = "p5.48xlarge"
      gpus_per_instance     = 8
      instance_count        = 2
      gpus                  = 16
      peak_gpus             = 16
      usd_per_hour          = 80
      cost_usd              = 13440
      carbon_tco2e          = 1.0
      water_m3              = 5.0
      energy_mwh            = 2.5
      gpu_hours             = 2688
      purchase              = "spot"
      usd_per_instance_hour = 40
      schedule_kind         = "dated"
      scaling_actions       = 2
      instance_hours        = 168
      deployed_cost_usd     = 6720
      # A time-shifted job: 2 instances for 84 h, then none.
      steps = [
        { start_utc = "2027-01-04T00:00:00Z", hours = 84, instances = 2 },
        { start_utc = "2027-01-07T12:00:00Z", hours = 0, instances = 0 },
      ]
      recurrences = []
    }
  }
  tags = { team = "ml-platform" }
}

output "groups" {
  description = "Auto-scaling groups by workload."
  value       = module.fleet.groups
}
