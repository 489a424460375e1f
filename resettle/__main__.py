from resettle.cli import main

main()
