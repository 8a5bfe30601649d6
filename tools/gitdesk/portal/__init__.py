"""The portal: a public site and one private site per customer, built with mkdocs-material."""
