# One Azure region's GPU fleet from an inline pool. In a real root the pools come from
# module.placement.fleets["azure/<region>"].pools and the provider from providers.tf.json.
# Needs the hashicorp/azurerm provider (downloaded by `terraform init`), credentials and
# ARM_SUBSCRIPTION_ID.

terraform {
  required_version = ">= 1.0.3"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.55"
    }
  }
}

variable "admin_ssh_public_key" {
  description = "OpenSSH public key of the administrator."
  type        = string
}

provider "azurerm" {
  alias = "westeurope"
  features {}
}

module "fleet" {
  source = "../.."

  providers = {
    azurerm = azurerm.westeurope
  }

  location             = "westeurope"
  admin_ssh_public_key = var.admin_ssh_public_key
  pools = {
    "embed-api" = {
      workload              = "embed-api"
      kind                  = "inference"
      cloud                 = "azure"
      region                = "westeurope"
      gpu_model             = "T4"
      instance_type         = "Standard_NC4as_T4_v3"
      gpus_per_instance     = 1
      instance_count        = 3
      gpus                  = 3
      peak_gpus             = 3
      usd_per_hour          = 1.8
      cost_usd              = 302.4
      carbon_tco2e          = 0.01
      water_m3              = 0.08
      energy_mwh            = 0.04
      gpu_hours             = 504
      purchase              = "spot"
      usd_per_instance_hour = 0.6
      schedule_kind         = "dated"
      scaling_actions       = 2
      instance_hours        = 252
      deployed_cost_usd     = 151.2
      # A time-shifted job: 3 instances for 84 h, then none.
      steps = [
        { start_utc = "2027-01-04T00:00:00Z", hours = 84, instances = 3 },
        { start_utc = "2027-01-07T12:00:00Z", hours = 0, instances = 0 },
      ]
      recurrences = []
    }
  }
}

output "groups" {
  description = "VM scale sets by workload."
  value       = module.fleet.groups
}
