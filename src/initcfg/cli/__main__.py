from initcfg.cli import main

main()
