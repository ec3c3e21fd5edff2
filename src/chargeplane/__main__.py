from chargeplane.cli import main

main()
