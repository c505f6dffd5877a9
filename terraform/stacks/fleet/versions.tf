terraform {
  required_version = ">= 1.0.3"

  # Pinned: the versions whose schemas the cloud modules were written against. The
  # generated providers.tf.json configures one aliased instance of each per region.
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.25"
    }
    google = {
      source  = "hashicorp/google"
      version = "~> 6.50"
    }
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.55"
    }
  }
}
