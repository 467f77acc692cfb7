# This file is maintained automatically by "terraform init".
# Manual edits may be lost in future updates.

provider "registry.terraform.io/hashicorp/aws" {
  version     = "5.1.0"
  constraints = ">= 4.0, < 6.0"
  hashes = [
    "h1:7Yx5l0sQ4OJ3d1sJmRTJwRrtDTKuzKFpKrsQlzMkNh0=",
  ]
}
