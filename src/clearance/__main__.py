from clearance.interfaces.cli.app import main

main()
