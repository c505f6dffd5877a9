# One AWS region's GPU fleet from an inline pool. In a real root the pools come from
# module.placement.fleets["aws/<region>"].pools and the provider from providers.tf.json.
# Needs the hashicorp/aws provider (downloaded by `terraform init`) and AWS credentials.

terraform {
  required_version = ">= 1.0.3"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.70"
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
      workload          = "llm-finetune"
      kind              = "training"
      cloud             = "aws"
      region            = "us-east-1"
      gpu_model         = "H100"
      instance_type     = "p5.48xlarge"
      gpus_per_instance = 8
      instance_count    = 2
      gpus              = 16
      peak_gpus         = 16
      usd_per_hour      = 80
      cost_usd          = 13440
      carbon_tco2e      = 1.0
      water_m3          = 5.0
      energy_mwh        = 2.5
      gpu_hours         = 2688
    }
  }
  tags = { team = "ml-platform" }
}

output "groups" {
  description = "Auto-scaling groups by workload."
  value       = module.fleet.groups
}
